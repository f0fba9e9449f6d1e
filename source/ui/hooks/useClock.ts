import {useEffect, useState} from 'react';

// The wall clock for the countdown. It ticks only while something counts
// down: an idle screen has no timer and sends nothing over SSH.

/** Now, moving once a second while `active`. */
export function useClock(active: boolean): number {
	const [now, setNow] = useState(() => Date.now());
	useEffect(() => {
		if (!active) return;
		setNow(Date.now());
		const timer = setInterval(() => setNow(Date.now()), 1000);
		return () => clearInterval(timer);
	}, [active]);
	return now;
}
