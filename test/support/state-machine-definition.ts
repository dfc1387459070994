import { Template } from 'aws-cdk-lib/assertions';

/** A Step Functions state, as far as the tests read it. */
export interface StateJson {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly Next?: string;
  readonly Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
  readonly Retry?: Array<{ ErrorEquals: string[] }>;
  readonly Choices?: unknown[];
  readonly Default?: string;
  readonly ItemProcessor?: { States: Record<string, StateJson> };
  readonly ItemsPath?: string;
  readonly [key: string]: unknown;
}

/**
 * The parsed definitions of the state machines in `template` whose logical id contains `idPart`.
 * Tokens in the `DefinitionString` (ARNs, names) become the text `TOKEN`.
 */
export function stateMachineDefinition(template: Template, idPart = ''): { StartAt: string; States: Record<string, StateJson> } {
  const machines = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).filter(([id]) => id.includes(idPart));
  if (machines.length !== 1) throw new Error(`expected one state machine matching "${idPart}", found ${machines.length}`);
  const definition = (machines[0][1] as { Properties: { DefinitionString: unknown } }).Properties.DefinitionString;
  const text = typeof definition === 'string'
    ? definition
    : (definition as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}

/** Every state of a definition, those inside Map item processors included. */
export function allStates(definition: { States: Record<string, StateJson> }): Record<string, StateJson> {
  const out: Record<string, StateJson> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    out[name] = state;
    if (state.ItemProcessor) Object.assign(out, allStates(state.ItemProcessor));
  }
  return out;
}
