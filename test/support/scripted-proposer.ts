import {ProposalError, type Proposal, type ProposalRequest, type Proposer} from '../../source/core/proposer.js';

export type Script = (request: ProposalRequest) => Omit<Proposal, 'proposer'> | Promise<Omit<Proposal, 'proposer'>>;

/** Plays back proposals in order; past the end it fails each request. Records what it was asked. */
export class ScriptedProposer implements Proposer {
	readonly name = 'scripted';
	requests: ProposalRequest[] = [];

	constructor(
		private readonly script: Script[],
		readonly pipelined = false,
	) {}

	async propose(request: ProposalRequest): Promise<Proposal> {
		this.requests.push(request);
		const next = this.script[this.requests.length - 1];
		if (!next) throw new ProposalError('the script has no more proposals');
		return {...(await next(request)), proposer: this.name};
	}
}

/** An edit of one line of train/train.py. */
export function replaceLine(request: ProposalRequest, search: string, replace: string, file = 'train/train.py') {
	const content = request.files[file] ?? '';
	const line = content.split('\n').find(l => l.includes(search));
	if (!line) throw new Error(`no line with ${search} in ${file}`);
	return {path: file, search: line, replace: line.replace(search, replace)};
}
