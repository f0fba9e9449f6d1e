import {defineConfig} from 'vitest/config';

// Four suites: `unit` (no training, no tmux: under a minute), `integration`
// (the real train.py on the CPU, the CLI as a process, the stand-in Ollama),
// `e2e` (the built app in tmux) and `faults` (docs/FAULTS.md: the real loop
// against hostile runs, kills, full disks, a network namespace). `npm test`
// runs them one after another (groupOrder), never side by side on two cores.
const shared = {
	// Integration tests train a real model on the CPU; give them room.
	testTimeout: 120_000,
	hookTimeout: 60_000,
	// Two cores: training runs in parallel would make each other's budgets meaningless.
	fileParallelism: false,
	pool: 'forks' as const,
};

export default defineConfig({
	test: {
		projects: [
			{
				test: {
					...shared,
					name: 'unit',
					sequence: {groupOrder: 0},
					include: ['test/core/**/*.test.{ts,tsx}', 'test/proposers/**/*.test.{ts,tsx}', 'test/ui/**/*.test.{ts,tsx}'],
				},
			},
			{
				test: {
					...shared,
					name: 'integration',
					sequence: {groupOrder: 1},
					include: ['test/integration/**/*.test.{ts,tsx}', 'test/report/**/*.test.{ts,tsx}'],
				},
			},
			{test: {...shared, name: 'e2e', sequence: {groupOrder: 2}, include: ['test/e2e/**/*.test.{ts,tsx}']}},
			{test: {...shared, name: 'faults', sequence: {groupOrder: 3}, include: ['test/faults/**/*.test.{ts,tsx}']}},
		],
	},
});
