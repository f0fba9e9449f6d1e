import {defineConfig} from 'vitest/config';

// Five suites: `unit` (no training, no tmux: under a minute), `integration`
// (the real train.py on the CPU, the CLI as a process, the stand-in Ollama),
// `e2e` (the built app in tmux), `faults` (docs/FAULTS.md: the real loop
// against hostile runs, kills, full disks, a network namespace) and `slurm`
// (workers and a real Slurm cluster). `npm test` runs them one after another
// (groupOrder), never side by side on two cores.
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
			// A real single-node Slurm cluster (started by the tests themselves; skipped without root or slurm-wlm).
			{test: {...shared, name: 'slurm', sequence: {groupOrder: 4}, include: ['test/slurm/**/*.test.{ts,tsx}']}},
		],
	},
});
