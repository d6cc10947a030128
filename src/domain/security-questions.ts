import { DomainError } from './errors.js';

/**
 * The predefined security questions (SPEC section 5: 35 of them, localised elsewhere by id).
 * Ids are stable; the English text is the fallback when a translation is missing.
 */
export const predefinedSecurityQuestions: Readonly<Record<string, string>> = {
  'city-first-job': 'In what city was your first full-time job?',
  'city-met-partner': 'In what city did you meet your first partner?',
  'city-parents-met': 'In what city did your parents meet?',
  'city-born': 'In what city were you born?',
  'city-grandmother': 'In what city did your maternal grandmother live?',
  'city-first-flight': 'To what city was your first airplane flight?',
  'street-grew-up': 'On what street did you live as a child?',
  'street-first-home': 'What was the street name of your first home as an adult?',
  'school-primary': 'What was the name of your primary school?',
  'school-secondary-mascot': "What was your secondary school's mascot?",
  'teacher-favourite': 'What was the last name of your favourite teacher?',
  'friend-childhood': 'What was the first name of your best friend as a child?',
  'pet-first': 'What was the name of your first pet?',
  'pet-childhood-breed': 'What breed was your childhood pet?',
  'car-first-make': 'What was the make of your first car?',
  'car-first-colour': 'What colour was your first car?',
  'toy-favourite': 'What was your favourite toy as a child?',
  'book-first': 'What was the first book you remember reading?',
  'film-first-cinema': 'What was the first film you saw in a cinema?',
  'concert-first': 'What was the first concert you went to?',
  'band-teenage': 'What was your favourite band as a teenager?',
  'food-childhood': 'What was your favourite food as a child?',
  'job-first-employer': 'What was the name of your first employer?',
  'job-first-title': 'What was your first job title?',
  'nickname-childhood': 'What was your childhood nickname?',
  'sibling-eldest-middle': "What is your eldest sibling's middle name?",
  'cousin-eldest': "What is your eldest cousin's first name?",
  'grandfather-first-name': "What was your paternal grandfather's first name?",
  'holiday-first': 'Where did you go on your first holiday without your parents?',
  'hospital-born': 'In what hospital were you born?',
  'sport-first-team': 'What was the name of the first sports team you played for?',
  'instrument-first': 'What was the first musical instrument you learned?',
  'phone-childhood-last4': 'What were the last four digits of your childhood telephone number?',
  'wedding-venue': 'Where was the first wedding you attended?',
  'hero-childhood': 'Who was your childhood hero?',
};

export const maxCustomSecurityQuestions = 20;
export const customQuestionLength = { min: 3, max: 200 } as const;
export const answerLength = { min: 3, max: 40 } as const;

/** Either a predefined question (by id) or one of the tenant's custom questions (by id). */
export interface SecurityQuestionAnswer {
  readonly questionId: string;
  readonly answer: string;
}

/**
 * The form an answer is hashed in (SPEC section 5): Unicode NFKC, case folded, inner whitespace
 * collapsed, trimmed. "  Ada   LOVELACE " and "ada lovelace" are the same answer.
 */
export function normalizeSecurityAnswer(answer: string): string {
  return answer.normalize('NFKC').toLocaleLowerCase('und').replace(/\s+/gu, ' ').trim();
}

export function validateCustomQuestionText(text: string): string {
  const trimmed = text.trim();
  const length = [...trimmed].length;
  if (length < customQuestionLength.min || length > customQuestionLength.max) {
    throw new DomainError(
      'invalid_property_value',
      { property: 'question' },
      `A custom security question must be ${customQuestionLength.min} to ${customQuestionLength.max} characters.`,
    );
  }
  return trimmed;
}

/**
 * Checks a registration: exactly the policy's number of answers, known questions, no question twice,
 * answers 3-40 characters, no two answers the same (after normalisation).
 */
export function validateSecurityQuestionRegistration(
  answers: readonly SecurityQuestionAnswer[],
  options: { readonly required: number; readonly knownQuestionIds: ReadonlySet<string> },
): void {
  const fail = (message: string) =>
    new DomainError('invalid_property_value', { property: 'securityQuestions' }, message);
  if (answers.length !== options.required) throw fail(`Answer exactly ${options.required} security questions.`);
  const questions = new Set<string>();
  const normalised = new Set<string>();
  for (const { questionId, answer } of answers) {
    if (!options.knownQuestionIds.has(questionId)) throw fail('Choose each question from the list.');
    if (questions.has(questionId)) throw fail('A question may be answered only once.');
    questions.add(questionId);
    const length = [...answer.trim()].length;
    if (length < answerLength.min || length > answerLength.max) {
      throw fail(`Each answer must be ${answerLength.min} to ${answerLength.max} characters.`);
    }
    const key = normalizeSecurityAnswer(answer);
    if (normalised.has(key)) throw fail('Two answers may not be the same.');
    normalised.add(key);
  }
}
