import { describe, expect, it } from 'vitest';
import { newResetFlow, type ResetFlow, resetFlowLifetimeMs, transition } from './reset-flow.js';

const start = new Date('2026-11-25T10:00:00Z');
const later = (ms: number) => new Date(start.getTime() + ms);

function identified(userId: string | null, gatesRequired: 1 | 2 = 1): ResetFlow {
  return transition(
    newResetFlow('flow-1', start),
    { type: 'identified', userName: 'adele@contoso.com', userId, gatesRequired },
    start,
  ).flow;
}

describe('reset flow', () => {
  it('email: choose, code sent, valid code, new password, done', () => {
    let flow = identified('user-1');
    expect(flow.step.name).toBe('chooseMethod');
    const chosen = transition(flow, { type: 'methodChosen', method: 'email', channel: null }, start);
    expect(chosen.effects).toContainEqual({ type: 'sendCode', method: 'email', channel: 'email' });
    flow = chosen.flow;
    flow = transition(flow, { type: 'codeSent', delivered: true }, start).flow;
    const checked = transition(flow, { type: 'codeChecked', valid: true }, start);
    expect(checked.flow.step.name).toBe('newPassword');
    const done = transition(checked.flow, { type: 'passwordChanged' }, start);
    expect(done.flow.step.name).toBe('done');
    expect(done.effects).toContainEqual({ type: 'completed' });
  });

  it('phone: the number must be confirmed before anything is sent; a mismatch is an identity failure', () => {
    let flow = identified('user-1');
    flow = transition(flow, { type: 'methodChosen', method: 'mobilePhone', channel: 'sms' }, start).flow;
    expect(flow.step).toEqual({ name: 'confirmPhone', method: 'mobilePhone', channel: 'sms' });
    const mismatch = transition(flow, { type: 'phoneConfirmed', matches: false }, start);
    expect(mismatch.problem).toBe('phone_mismatch');
    expect(mismatch.effects).toEqual([{ type: 'recordIdentityFailure' }]);
    expect(mismatch.flow.step.name).toBe('confirmPhone');
    const match = transition(flow, { type: 'phoneConfirmed', matches: true }, start);
    expect(match.effects).toEqual([{ type: 'sendCode', method: 'mobilePhone', channel: 'sms' }]);
  });

  it('office phone is always a call', () => {
    const flow = transition(
      identified('u'),
      { type: 'methodChosen', method: 'officePhone', channel: 'sms' },
      start,
    ).flow;
    expect(flow.step).toMatchObject({ name: 'confirmPhone', channel: 'voice' });
  });

  it('two gates: the second must be a different method', () => {
    let flow = identified('user-1', 2);
    flow = transition(flow, { type: 'methodChosen', method: 'email', channel: null }, start).flow;
    flow = transition(flow, { type: 'codeChecked', valid: true }, start).flow;
    expect(flow.step.name).toBe('chooseMethod');
    expect(transition(flow, { type: 'methodChosen', method: 'email', channel: null }, start).problem).toBe(
      'method_unavailable',
    );
    flow = transition(
      flow,
      { type: 'methodChosen', method: 'securityQuestions', channel: null, questionIds: ['a', 'b', 'c'] },
      start,
    ).flow;
    const wrong = transition(flow, { type: 'answersChecked', valid: false, nextQuestionIds: ['d', 'e', 'f'] }, start);
    expect(wrong.flow.step).toEqual({ name: 'answerQuestions', questionIds: ['d', 'e', 'f'] });
    expect(wrong.effects).toEqual([{ type: 'recordVerificationFailure' }]);
    flow = transition(wrong.flow, { type: 'answersChecked', valid: true, nextQuestionIds: [] }, start).flow;
    expect(flow.step.name).toBe('newPassword');
    expect(flow.gatesPassed).toEqual(['email', 'securityQuestions']);
  });

  it('a pretend flow never passes a gate', () => {
    let flow = identified(null);
    flow = transition(flow, { type: 'methodChosen', method: 'email', channel: null }, start).flow;
    const result = transition(flow, { type: 'codeChecked', valid: true }, start);
    expect(result.problem).toBe('code_invalid');
    expect(result.flow.step.name).toBe('enterCode');
  });

  it('refuses steps out of order and anything after 15 minutes', () => {
    const flow = identified('user-1');
    expect(transition(flow, { type: 'passwordChanged' }, start).problem).toBe('step_out_of_order');
    expect(transition(flow, { type: 'codeChecked', valid: true }, start).problem).toBe('step_out_of_order');
    expect(
      transition(flow, { type: 'methodChosen', method: 'email', channel: null }, later(resetFlowLifetimeMs)).problem,
    ).toBe('flow_expired');
  });

  it('back returns to the method choice', () => {
    let flow = transition(
      identified('u'),
      { type: 'methodChosen', method: 'mobilePhone', channel: 'voice' },
      start,
    ).flow;
    flow = transition(flow, { type: 'back' }, start).flow;
    expect(flow.step.name).toBe('chooseMethod');
  });
});
