import { randomInt } from 'node:crypto';
import { type AuditEventDraft, auditDraft, type RequestContext, userTarget } from '../../domain/audit.js';
import { DomainError } from '../../domain/errors.js';
import {
  normalizeSecurityAnswer,
  predefinedSecurityQuestions,
  type SecurityQuestionAnswer,
  validateSecurityQuestionRegistration,
} from '../../domain/security-questions.js';
import type { SsprPolicy } from '../../domain/sspr-policy.js';
import { findUserOrFail, type UserLookup } from '../users/find-user.js';

export interface SecurityAnswerStore {
  replaceSecurityAnswers(
    userId: string,
    answers: readonly { readonly questionId: string; readonly answerHash: string }[],
    audit: AuditEventDraft,
  ): Promise<void>;
  securityAnswerHashes(userId: string): Promise<{ questionId: string; answerHash: string }[]>;
}

export interface AnswerHasher {
  hash(value: string): Promise<string>;
  verify(hash: string, value: string): Promise<boolean>;
}

export interface SecurityQuestionServiceDependencies {
  readonly users: UserLookup;
  readonly answers: SecurityAnswerStore;
  readonly hasher: AnswerHasher;
  readonly policy: {
    current(): Promise<SsprPolicy>;
    customQuestions(): Promise<{ id: string; text: string }[]>;
  };
}

/**
 * Security questions (SPEC section 5): registered only by the user themself, stored only as argon2id
 * hashes of the normalised answers, never shown, never settable by an administrator.
 */
export class SecurityQuestionService {
  constructor(private readonly deps: SecurityQuestionServiceDependencies) {}

  async register(context: RequestContext, userRef: string, answers: readonly SecurityQuestionAnswer[]): Promise<void> {
    const user = await findUserOrFail(this.deps.users, userRef);
    const { principal } = context;
    if (principal.kind !== 'user' || principal.userId !== user.id) throw new DomainError('permission_denied');
    const [policy, custom] = await Promise.all([this.deps.policy.current(), this.deps.policy.customQuestions()]);
    const known = new Set([...Object.keys(predefinedSecurityQuestions), ...custom.map((question) => question.id)]);
    validateSecurityQuestionRegistration(answers, {
      required: policy.numberOfQuestionsToRegister,
      knownQuestionIds: known,
    });
    const hashed = await Promise.all(
      answers.map(async ({ questionId, answer }) => ({
        questionId,
        answerHash: await this.deps.hasher.hash(normalizeSecurityAnswer(answer)),
      })),
    );
    await this.deps.answers.replaceSecurityAnswers(
      user.id,
      hashed,
      auditDraft(context, {
        activity: 'User registered security info',
        category: 'UserManagement',
        service: 'Self-service Password Management',
        operationType: 'Update',
        // The count only: which questions and what answers are nobody's business.
        targets: [
          userTarget(user, [
            {
              displayName: 'SecurityQuestions',
              oldValue: null,
              newValue: JSON.stringify(`${hashed.length} registered`),
            },
          ]),
        ],
      }),
    );
  }

  /** N of the user's registered questions, drawn at random (a new draw after wrong answers). */
  async draw(userId: string, count: number): Promise<string[]> {
    const registered = (await this.deps.answers.securityAnswerHashes(userId)).map((entry) => entry.questionId);
    for (let i = registered.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [registered[i], registered[j]] = [registered[j] as string, registered[i] as string];
    }
    return registered.slice(0, count);
  }

  /**
   * Whether every given answer matches. All answers are checked, whatever the first result, so the time
   * taken does not tell which answer was wrong; argon2's verify compares in constant time.
   */
  async verify(userId: string, answers: readonly SecurityQuestionAnswer[]): Promise<boolean> {
    const hashes = new Map(
      (await this.deps.answers.securityAnswerHashes(userId)).map((entry) => [entry.questionId, entry.answerHash]),
    );
    if (answers.length === 0) return false;
    const results = await Promise.all(
      answers.map(async ({ questionId, answer }) => {
        const hash = hashes.get(questionId);
        const matched = await this.deps.hasher.verify(
          hash ?? (await this.placeholderHash()),
          normalizeSecurityAnswer(answer),
        );
        return hash !== undefined && matched;
      }),
    );
    return results.every(Boolean);
  }

  private placeholder: Promise<string> | undefined;

  /** Unknown questions still cost one argon2 verification. */
  private placeholderHash(): Promise<string> {
    this.placeholder ??= this.deps.hasher.hash('placeholder answer that is never registered');
    return this.placeholder;
  }
}
