import {createRequire} from 'node:module';

// React's development build checks everything twice, is several times
// slower, and (React 19) records a performance measure for every render
// that Node keeps forever: a screen up all night would grow without end.
// React picks its build from NODE_ENV when it is first loaded, and CommonJS
// modules in an ES module graph load before the importing module runs, so
// the screen's modules (Ink, React, the panes) are loaded here, dynamically,
// with NODE_ENV=production unless the environment says otherwise. If React
// is already loaded its build is chosen: nothing is touched then (a
// development React with a production reconciler renders nothing). The
// variable is put back right after, so the runs the loop starts never see it.

/** Which build of React this process runs, if React is loaded. (Node lists both builds once it has read react/index.js; only one has run.) */
export function reactLoaded(): 'production' | 'development' | undefined {
	const cache = createRequire(import.meta.url).cache;
	for (const [file, module] of Object.entries(cache)) {
		const build = /[\\/]node_modules[\\/]react[\\/]cjs[\\/]react\.(development|production)\.js$/.exec(file)?.[1];
		if (build && module?.loaded) return build as 'production' | 'development';
	}
	return undefined;
}

export async function loadScreen() {
	const ours = process.env.NODE_ENV === undefined && reactLoaded() === undefined;
	if (ours) process.env.NODE_ENV = 'production';
	try {
		const [ink, react, app, frame] = await Promise.all([import('ink'), import('react'), import('./App.js'), import('./frame.js')]);
		return {render: ink.render, React: react.default, App: app.App, ThemeContext: frame.ThemeContext};
	} finally {
		if (ours && process.env.NODE_ENV === 'production') delete process.env.NODE_ENV;
	}
}
