import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.{ts,tsx}'],
		// Integration tests train a real model on the CPU; give them room.
		testTimeout: 120_000,
		hookTimeout: 60_000,
		// Two cores: training runs in parallel would make each other's budgets meaningless.
		fileParallelism: false,
		pool: 'forks',
	},
});
