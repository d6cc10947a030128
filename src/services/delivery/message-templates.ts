/**
 * The texts of every message OpenSSPR sends, in English and French. Pure: the delivery service fills them in
 * and hands them to a transport. `language` is the BCP 47 tag of the page the user is on: anything starting with
 * `fr` gets French, everything else English.
 */
import type { CodePurpose } from './code-delivery.js';

export type MessageLanguage = 'en' | 'fr';

export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export function messageLanguage(language: string): MessageLanguage {
  return language.trim().toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/** For the TwiML `<Say language>` attribute and similar. */
export function voiceLocale(language: string): 'en-US' | 'fr-FR' {
  return messageLanguage(language) === 'fr' ? 'fr-FR' : 'en-US';
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** `12345678` → `1, 2, 3, 4, 5, 6, 7, 8`: text-to-speech then reads digits, not "twelve million...". */
export function spokenDigits(code: string): string {
  return [...code].join(', ');
}

function htmlDocument(language: MessageLanguage, title: string, paragraphs: readonly string[]): string {
  const body = paragraphs.map((paragraph) => `<p>${paragraph}</p>`).join('\n');
  return (
    `<!DOCTYPE html>\n<html lang="${language}">\n<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n` +
    `<body style="font-family: sans-serif">\n${body}\n</body>\n</html>\n`
  );
}

const codeEmailTexts = {
  en: {
    subject: (tenant: string) => `${tenant} account verification code`,
    purpose: (purpose: CodePurpose) =>
      purpose === 'passwordReset'
        ? 'You asked to reset the password of your account.'
        : 'You are registering this address for password reset.',
    intro: (tenant: string) => `Use the following verification code for your ${tenant} account:`,
    ignore: "If you didn't ask for this code, you can ignore this email. Never share the code with anyone.",
  },
  fr: {
    subject: (tenant: string) => `Code de vérification du compte ${tenant}`,
    purpose: (purpose: CodePurpose) =>
      purpose === 'passwordReset'
        ? 'Vous avez demandé la réinitialisation du mot de passe de votre compte.'
        : 'Vous enregistrez cette adresse pour la réinitialisation du mot de passe.',
    intro: (tenant: string) => `Utilisez le code de vérification suivant pour votre compte ${tenant} :`,
    ignore:
      "Si vous n'avez pas demandé ce code, vous pouvez ignorer ce message. Ne communiquez jamais ce code à personne.",
  },
} as const;

export function codeEmail(input: {
  readonly code: string;
  readonly purpose: CodePurpose;
  readonly tenantName: string;
  readonly language: string;
}): EmailContent {
  const language = messageLanguage(input.language);
  const texts = codeEmailTexts[language];
  const subject = texts.subject(input.tenantName);
  const text = [
    texts.purpose(input.purpose),
    '',
    texts.intro(input.tenantName),
    '',
    input.code,
    '',
    texts.ignore,
    '',
  ].join('\n');
  const html = htmlDocument(language, subject, [
    escapeHtml(texts.purpose(input.purpose)),
    escapeHtml(texts.intro(input.tenantName)),
    `<strong style="font-size: 1.5em; letter-spacing: 0.1em">${escapeHtml(input.code)}</strong>`,
    escapeHtml(texts.ignore),
  ]);
  return { subject, text, html };
}

/** One short SMS: `Use verification code 12345678 for your Contoso account.` */
export function codeSms(input: { readonly code: string; readonly tenantName: string; readonly language: string }) {
  return messageLanguage(input.language) === 'fr'
    ? `Utilisez le code de vérification ${input.code} pour votre compte ${input.tenantName}.`
    : `Use verification code ${input.code} for your ${input.tenantName} account.`;
}

/** What the call says: the code's digits one by one, twice. */
export function codeVoice(input: { readonly code: string; readonly tenantName: string; readonly language: string }) {
  const digits = spokenDigits(input.code);
  return messageLanguage(input.language) === 'fr'
    ? `Bonjour. Votre code de vérification pour votre compte ${input.tenantName} est : ${digits}. ` +
        `Je répète : ${digits}. Au revoir.`
    : `Hello. Your verification code for your ${input.tenantName} account is: ${digits}. ` +
        `Again, your code is: ${digits}. Goodbye.`;
}

/** Building an Intl formatter costs far more than using one: one per language, made on first use. */
const whenFormatters = new Map<MessageLanguage, Intl.DateTimeFormat>();

function formatWhen(at: Date, language: MessageLanguage): string {
  let formatter = whenFormatters.get(language);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(language === 'fr' ? 'fr-FR' : 'en-US', {
      dateStyle: 'long',
      timeStyle: 'short',
      timeZone: 'UTC',
    });
    whenFormatters.set(language, formatter);
  }
  return `${formatter.format(at)} UTC`;
}

export function passwordChangedEmail(input: {
  readonly kind: 'self' | 'adminResetByUser';
  readonly userPrincipalName: string;
  readonly displayName: string | null;
  readonly at: Date;
  readonly tenantName: string;
  readonly language: string;
}): EmailContent {
  const language = messageLanguage(input.language);
  const when = formatWhen(input.at, language);
  const who = input.displayName ? `${input.displayName} (${input.userPrincipalName})` : input.userPrincipalName;
  const en = language === 'en';
  const subject =
    input.kind === 'self'
      ? en
        ? `${input.tenantName} account password reset`
        : `Réinitialisation du mot de passe du compte ${input.tenantName}`
      : en
        ? `${input.tenantName}: another administrator reset their password`
        : `${input.tenantName} : un autre administrateur a réinitialisé son mot de passe`;
  const paragraphs =
    input.kind === 'self'
      ? en
        ? [
            `The password of your ${input.tenantName} account ${input.userPrincipalName} was reset on ${when}.`,
            'If you did this, no action is needed.',
            "If you didn't reset your password, contact your administrator or helpdesk immediately.",
          ]
        : [
            `Le mot de passe de votre compte ${input.tenantName} ${input.userPrincipalName} a été réinitialisé le ${when}.`,
            "Si c'est vous, vous n'avez rien à faire.",
            "Si vous n'avez pas réinitialisé votre mot de passe, contactez immédiatement votre administrateur ou le support.",
          ]
      : en
        ? [
            `The administrator ${who} reset their own password on ${when} with self-service password reset.`,
            'You receive this notice because you are an administrator of the ' + `${input.tenantName} directory.`,
            'If this is unexpected, check the audit log.',
          ]
        : [
            `L'administrateur ${who} a réinitialisé son propre mot de passe le ${when} avec la réinitialisation en libre-service.`,
            `Vous recevez cet avis parce que vous êtes administrateur de l'annuaire ${input.tenantName}.`,
            "Si cela n'était pas prévu, consultez le journal d'audit.",
          ];
  return {
    subject,
    text: `${paragraphs.join('\n\n')}\n`,
    html: htmlDocument(language, subject, paragraphs.map(escapeHtml)),
  };
}
