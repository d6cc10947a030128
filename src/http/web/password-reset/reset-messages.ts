import type { ResetPageProblem } from '../../../services/self-service/password-reset-service.js';
import type { PageLanguage } from '../language.js';

/** Every text of the password reset pages, per language. `{name}` placeholders are filled by `fill`. */
const english = {
  title: 'Get back into your account',
  identifyHeading: 'Who are you?',
  identifyIntro: 'To recover your account, begin by entering your user ID and the characters in the picture below.',
  userName: 'User ID',
  userNameHint: 'Example: user@contoso.com',
  captchaLabel: 'Enter the characters in the picture',
  captchaImage: 'Picture of distorted characters',
  captchaNewPicture: 'Show a new picture',
  next: 'Next',
  cancel: 'Cancel',
  back: 'Back',
  chooseHeading: 'Choose the contact method we should use for verification',
  secondGate: 'Verification step 2: choose another contact method',
  methodEmail: 'Email my alternate email ({masked})',
  methodSms: 'Text my mobile phone ({masked})',
  methodMobileCall: 'Call my mobile phone ({masked})',
  methodOfficeCall: 'Call my office phone ({masked})',
  methodQuestions: 'Answer my security questions',
  noMethods:
    'You can’t reset your password here because there is no contact information we can use. Contact your administrator.',
  confirmPhoneHeading: 'Confirm your phone number',
  confirmPhoneIntro:
    'In order to protect your account, we need you to enter your complete phone number ({masked}) below. You will then receive a text message or a call with a verification code.',
  phoneNumber: 'Enter your phone number',
  sendText: 'Text',
  sendCall: 'Call',
  enterCodeHeading: 'Enter the verification code',
  codeSentEmail: 'We’ve sent an email with a verification code to your alternate email ({masked}).',
  codeSentSms: 'We’ve sent a text message with a verification code to your phone ({masked}).',
  codeSentVoice: 'We’re calling your phone ({masked}). Listen for the verification code.',
  code: 'Verification code',
  resend: 'Send a new code',
  deliveryFailed: 'We couldn’t send the code. Try again later or choose another method.',
  tryAnotherMethod: 'Choose another method',
  questionsHeading: 'Answer your security questions',
  newPasswordHeading: 'Choose a new password',
  newPassword: 'Enter new password',
  confirmPassword: 'Confirm new password',
  passwordHint:
    'A strong password has at least 8 characters with three of these: uppercase letters, lowercase letters, numbers and symbols. Avoid common words and your name.',
  finish: 'Finish',
  doneHeading: 'Your password has been reset',
  doneText: 'You can now sign in with your new password.',
  blockedHeading: 'You can’t reset your password right now',
  blockedText:
    'There have been too many attempts to verify this account. For your security, try again in 24 hours or contact your administrator.',
  expiredHeading: 'Your session has expired',
  expiredText: 'For your security, a password reset session ends after 15 minutes or when it is opened elsewhere.',
  startOver: 'Start over',
  helpdesk: 'Contact your administrator',
  stepOf: 'Verification step {current} of {total}',
  problemHeading: 'There is a problem',
  language: 'Language',
} as const;

export type ResetMessages = { readonly [key in keyof typeof english]: string };

const french: ResetMessages = {
  title: 'Récupérer votre compte',
  identifyHeading: 'Qui êtes-vous ?',
  identifyIntro:
    'Pour récupérer votre compte, commencez par entrer votre ID d’utilisateur et les caractères de l’image ci-dessous.',
  userName: 'ID d’utilisateur',
  userNameHint: 'Exemple : utilisateur@contoso.com',
  captchaLabel: 'Entrez les caractères de l’image',
  captchaImage: 'Image de caractères déformés',
  captchaNewPicture: 'Afficher une nouvelle image',
  next: 'Suivant',
  cancel: 'Annuler',
  back: 'Retour',
  chooseHeading: 'Choisissez la méthode de contact à utiliser pour la vérification',
  secondGate: 'Étape de vérification 2 : choisissez une autre méthode de contact',
  methodEmail: 'Envoyer un e-mail à mon adresse de secours ({masked})',
  methodSms: 'Envoyer un SMS à mon téléphone mobile ({masked})',
  methodMobileCall: 'Appeler mon téléphone mobile ({masked})',
  methodOfficeCall: 'Appeler mon téléphone de bureau ({masked})',
  methodQuestions: 'Répondre à mes questions de sécurité',
  noMethods:
    'Vous ne pouvez pas réinitialiser votre mot de passe ici, car aucune information de contact utilisable n’est enregistrée. Contactez votre administrateur.',
  confirmPhoneHeading: 'Confirmez votre numéro de téléphone',
  confirmPhoneIntro:
    'Pour protéger votre compte, entrez votre numéro de téléphone complet ({masked}) ci-dessous. Vous recevrez ensuite un SMS ou un appel avec un code de vérification.',
  phoneNumber: 'Entrez votre numéro de téléphone',
  sendText: 'SMS',
  sendCall: 'Appel',
  enterCodeHeading: 'Entrez le code de vérification',
  codeSentEmail: 'Nous avons envoyé un e-mail contenant un code de vérification à votre adresse de secours ({masked}).',
  codeSentSms: 'Nous avons envoyé un SMS contenant un code de vérification à votre téléphone ({masked}).',
  codeSentVoice: 'Nous appelons votre téléphone ({masked}). Écoutez le code de vérification.',
  code: 'Code de vérification',
  resend: 'Envoyer un nouveau code',
  deliveryFailed: 'Nous n’avons pas pu envoyer le code. Réessayez plus tard ou choisissez une autre méthode.',
  tryAnotherMethod: 'Choisir une autre méthode',
  questionsHeading: 'Répondez à vos questions de sécurité',
  newPasswordHeading: 'Choisissez un nouveau mot de passe',
  newPassword: 'Nouveau mot de passe',
  confirmPassword: 'Confirmez le nouveau mot de passe',
  passwordHint:
    'Un mot de passe fort comporte au moins 8 caractères dont trois de ces types : majuscules, minuscules, chiffres et symboles. Évitez les mots courants et votre nom.',
  finish: 'Terminer',
  doneHeading: 'Votre mot de passe a été réinitialisé',
  doneText: 'Vous pouvez maintenant vous connecter avec votre nouveau mot de passe.',
  blockedHeading: 'Vous ne pouvez pas réinitialiser votre mot de passe pour le moment',
  blockedText:
    'Il y a eu trop de tentatives de vérification pour ce compte. Pour votre sécurité, réessayez dans 24 heures ou contactez votre administrateur.',
  expiredHeading: 'Votre session a expiré',
  expiredText:
    'Pour votre sécurité, une session de réinitialisation se termine après 15 minutes ou lorsqu’elle est ouverte ailleurs.',
  startOver: 'Recommencer',
  helpdesk: 'Contacter votre administrateur',
  stepOf: 'Étape de vérification {current} sur {total}',
  problemHeading: 'Un problème est survenu',
  language: 'Langue',
};

const englishProblems: Record<ResetPageProblem, string> = {
  captcha_invalid: 'The characters you entered didn’t match. Try again with the new picture.',
  user_name_required: 'Enter your user ID, for example user@contoso.com.',
  phone_mismatch: 'The phone number you entered doesn’t match the number we have for you.',
  code_invalid: 'The code you entered is wrong or has expired. Check it, or send a new code.',
  answers_invalid: 'One or more of your answers didn’t match. Answer these questions instead.',
  method_unavailable: 'That method can’t be used. Choose another one.',
  step_out_of_order: 'That step isn’t available now. Continue from here.',
  flow_expired: 'Your session has expired. Start over.',
  send_limited: 'Too many codes have been requested. Wait a while, then try again, or choose another method.',
  passwords_differ: 'The passwords don’t match.',
  writeback_unavailable:
    'Your account is managed by your organisation’s on-premises directory, and password writeback is not available. Contact your administrator.',
  password_too_short: 'The password must be at least 8 characters long.',
  password_too_long: 'The password must be at most 256 characters long.',
  password_too_few_character_classes:
    'The password must contain three of these: uppercase letters, lowercase letters, numbers and symbols.',
  password_contains_user_name: 'The password can’t contain your name or user name.',
  password_banned_password: 'That password is too easy to guess. Choose a less common one.',
  onpremises_too_short:
    'Your organisation’s on-premises directory refused this password: it is shorter than its policy allows. Choose a longer one.',
  onpremises_history:
    'Your organisation’s on-premises directory refused this password: you have used it recently. Choose one you haven’t used before.',
  onpremises_complexity:
    'Your organisation’s on-premises directory refused this password: it is not complex enough. Choose a stronger one.',
  onpremises_policy:
    'Your organisation’s on-premises directory refused this password under its password policy. Choose a different one, or contact your administrator.',
};

const frenchProblems: Record<ResetPageProblem, string> = {
  captcha_invalid: 'Les caractères saisis ne correspondent pas. Réessayez avec la nouvelle image.',
  user_name_required: 'Entrez votre ID d’utilisateur, par exemple utilisateur@contoso.com.',
  phone_mismatch: 'Le numéro saisi ne correspond pas à celui que nous avons pour vous.',
  code_invalid: 'Le code saisi est incorrect ou a expiré. Vérifiez-le ou envoyez un nouveau code.',
  answers_invalid: 'Une ou plusieurs réponses ne correspondent pas. Répondez plutôt à ces questions.',
  method_unavailable: 'Cette méthode ne peut pas être utilisée. Choisissez-en une autre.',
  step_out_of_order: 'Cette étape n’est pas disponible maintenant. Continuez à partir d’ici.',
  flow_expired: 'Votre session a expiré. Recommencez.',
  send_limited: 'Trop de codes ont été demandés. Patientez, puis réessayez ou choisissez une autre méthode.',
  passwords_differ: 'Les mots de passe ne correspondent pas.',
  writeback_unavailable:
    'Votre compte est géré par l’annuaire local de votre organisation et la réécriture du mot de passe n’est pas disponible. Contactez votre administrateur.',
  password_too_short: 'Le mot de passe doit comporter au moins 8 caractères.',
  password_too_long: 'Le mot de passe doit comporter au plus 256 caractères.',
  password_too_few_character_classes:
    'Le mot de passe doit contenir trois de ces types : majuscules, minuscules, chiffres et symboles.',
  password_contains_user_name: 'Le mot de passe ne peut pas contenir votre nom ni votre ID d’utilisateur.',
  password_banned_password: 'Ce mot de passe est trop facile à deviner. Choisissez-en un moins courant.',
  onpremises_too_short:
    'L’annuaire local de votre organisation a refusé ce mot de passe : il est plus court que sa stratégie ne le permet. Choisissez-en un plus long.',
  onpremises_history:
    'L’annuaire local de votre organisation a refusé ce mot de passe : vous l’avez utilisé récemment. Choisissez-en un que vous n’avez pas encore utilisé.',
  onpremises_complexity:
    'L’annuaire local de votre organisation a refusé ce mot de passe : il n’est pas assez complexe. Choisissez-en un plus fort.',
  onpremises_policy:
    'L’annuaire local de votre organisation a refusé ce mot de passe selon sa stratégie de mot de passe. Choisissez-en un autre ou contactez votre administrateur.',
};

export function resetMessages(language: PageLanguage): ResetMessages {
  return language === 'fr' ? french : english;
}

export function problemMessage(language: PageLanguage, problem: ResetPageProblem): string {
  return (language === 'fr' ? frenchProblems : englishProblems)[problem];
}

export function fill(text: string, values: Readonly<Record<string, string | number>>): string {
  return text.replace(/\{(\w+)\}/g, (whole, key: string) => String(values[key] ?? whole));
}
