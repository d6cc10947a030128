import type {
  QuestionProblem,
  SignInProblem,
  VerificationProblem,
} from '../../../services/self-service/security-info-service.js';
import type { PageLanguage } from '../language.js';

/** Every text of the My Security Info pages, per language. `{name}` placeholders are filled by `fill`. */
const english = {
  signInHeading: 'Sign in',
  signInIntro: 'Sign in to review and update the security info you use to reset your password.',
  userName: 'User ID',
  userNameHint: 'Example: user@contoso.com',
  password: 'Password',
  signIn: 'Sign in',
  forgotPassword: 'Forgot my password',
  signedOut: 'You have signed out.',
  sessionEnded: 'Your session has ended. Sign in again.',
  interruptHeading: 'More information required',
  interruptText: 'Your organization needs more information to keep your account secure.',
  next: 'Next',
  skip: 'Skip for now',
  reviewHeading: 'Security info',
  reviewIntro: 'These are the methods you use to verify your identity when you reset your password.',
  reviewSetupIntro:
    'Don’t lose access to your account! Check that the information below is correct, then select “Looks good”.',
  looksGood: 'Looks good',
  defaultMethod: 'Default method: {method}',
  noDefault: 'No method is set up yet.',
  methodPhone: 'Phone',
  methodEmail: 'Email',
  methodQuestions: 'Security questions',
  questionsRegistered: 'Security questions: {count} registered',
  notSet: 'Not set',
  change: 'Change',
  add: 'Add',
  delete: 'Delete',
  signOut: 'Sign out',
  saved: 'Your security info was updated.',
  phoneHeading: 'Phone',
  phoneIntro: 'You can prove who you are by answering a call on your phone or receiving a code by text message.',
  country: 'Country or region',
  countryFromNumber: 'From the number (+country code)',
  phoneNumber: 'Phone number',
  phoneHint: 'Example: +1 425 555 0100, or choose the country and type the number.',
  channelLegend: 'How should we send the code?',
  channelSms: 'Text me a code',
  channelVoice: 'Call me',
  emailHeading: 'Email',
  emailIntro: 'We’ll send a code to this address to check it is yours.',
  emailAddress: 'Email address',
  cancel: 'Cancel',
  verifyHeading: 'Enter the code',
  codeSentSms: 'We just sent an 8-digit code to {masked}.',
  codeSentVoice: 'We’re calling {masked}. Listen for the 8-digit code.',
  codeSentEmail: 'We just sent an 8-digit code to {masked}.',
  code: 'Code',
  verify: 'Verify',
  verificationEndedHeading: 'Verification ended',
  verificationEnded: 'The code could not be verified. Start again to get a new code.',
  tryAgain: 'Start again',
  questionsHeading: 'Security questions',
  questionsIntro:
    'Choose {count} questions and type answers that you will remember. Each answer must be 3 to 40 characters.',
  question: 'Question {number}',
  answer: 'Answer {number}',
  chooseQuestion: 'Choose a question',
  save: 'Save',
  deleteHeading: 'Delete {method}?',
  deleteText:
    'Are you sure you want to delete this method ({masked})? You won’t be able to use it to reset your password.',
  confirmDelete: 'Yes, delete it',
  problemHeading: 'There is a problem',
  notRegistered: 'Set up enough methods before you confirm.',
  forbiddenHeading: 'This form has expired',
  forbiddenText: 'The form was not sent from this session. Go back to your security info and try again.',
  backToInfo: 'Back to security info',
} as const;

export type SecurityInfoMessages = { readonly [key in keyof typeof english]: string };

const french: SecurityInfoMessages = {
  signInHeading: 'Connexion',
  signInIntro:
    'Connectez-vous pour vérifier et mettre à jour les informations de sécurité qui servent à réinitialiser votre mot de passe.',
  userName: 'ID d’utilisateur',
  userNameHint: 'Exemple : utilisateur@contoso.com',
  password: 'Mot de passe',
  signIn: 'Se connecter',
  forgotPassword: 'J’ai oublié mon mot de passe',
  signedOut: 'Vous êtes déconnecté.',
  sessionEnded: 'Votre session a pris fin. Reconnectez-vous.',
  interruptHeading: 'Informations supplémentaires requises',
  interruptText: 'Votre organisation a besoin de plus d’informations pour préserver la sécurité de votre compte.',
  next: 'Suivant',
  skip: 'Ignorer pour le moment',
  reviewHeading: 'Informations de sécurité',
  reviewIntro: 'Voici les méthodes qui servent à vérifier votre identité quand vous réinitialisez votre mot de passe.',
  reviewSetupIntro:
    'Ne perdez pas l’accès à votre compte ! Vérifiez que les informations ci-dessous sont exactes, puis sélectionnez « Tout est correct ».',
  looksGood: 'Tout est correct',
  defaultMethod: 'Méthode par défaut : {method}',
  noDefault: 'Aucune méthode n’est encore configurée.',
  methodPhone: 'Téléphone',
  methodEmail: 'E-mail',
  methodQuestions: 'Questions de sécurité',
  questionsRegistered: 'Questions de sécurité : {count} enregistrées',
  notSet: 'Non défini',
  change: 'Modifier',
  add: 'Ajouter',
  delete: 'Supprimer',
  signOut: 'Se déconnecter',
  saved: 'Vos informations de sécurité ont été mises à jour.',
  phoneHeading: 'Téléphone',
  phoneIntro: 'Vous pouvez prouver votre identité en répondant à un appel ou en recevant un code par SMS.',
  country: 'Pays ou région',
  countryFromNumber: 'D’après le numéro (+indicatif)',
  phoneNumber: 'Numéro de téléphone',
  phoneHint: 'Exemple : +33 6 12 34 56 78, ou choisissez le pays et tapez le numéro.',
  channelLegend: 'Comment envoyer le code ?',
  channelSms: 'M’envoyer un code par SMS',
  channelVoice: 'M’appeler',
  emailHeading: 'E-mail',
  emailIntro: 'Nous enverrons un code à cette adresse pour vérifier qu’elle vous appartient.',
  emailAddress: 'Adresse e-mail',
  cancel: 'Annuler',
  verifyHeading: 'Entrez le code',
  codeSentSms: 'Nous venons d’envoyer un code à 8 chiffres au {masked}.',
  codeSentVoice: 'Nous appelons le {masked}. Écoutez le code à 8 chiffres.',
  codeSentEmail: 'Nous venons d’envoyer un code à 8 chiffres à {masked}.',
  code: 'Code',
  verify: 'Vérifier',
  verificationEndedHeading: 'Vérification terminée',
  verificationEnded: 'Le code n’a pas pu être vérifié. Recommencez pour obtenir un nouveau code.',
  tryAgain: 'Recommencer',
  questionsHeading: 'Questions de sécurité',
  questionsIntro:
    'Choisissez {count} questions et tapez des réponses dont vous vous souviendrez. Chaque réponse doit compter de 3 à 40 caractères.',
  question: 'Question {number}',
  answer: 'Réponse {number}',
  chooseQuestion: 'Choisissez une question',
  save: 'Enregistrer',
  deleteHeading: 'Supprimer {method} ?',
  deleteText:
    'Voulez-vous vraiment supprimer cette méthode ({masked}) ? Vous ne pourrez plus l’utiliser pour réinitialiser votre mot de passe.',
  confirmDelete: 'Oui, supprimer',
  problemHeading: 'Un problème est survenu',
  notRegistered: 'Configurez suffisamment de méthodes avant de confirmer.',
  forbiddenHeading: 'Ce formulaire a expiré',
  forbiddenText:
    'Le formulaire n’a pas été envoyé depuis cette session. Revenez à vos informations de sécurité et réessayez.',
  backToInfo: 'Retour aux informations de sécurité',
};

export type SecurityInfoProblem = SignInProblem | VerificationProblem | QuestionProblem | 'not_registered';

const englishProblems: Record<SecurityInfoProblem, string> = {
  sign_in_failed: 'Your user ID or password is incorrect.',
  sign_in_limited: 'Too many failed sign-ins for this user ID. Wait 15 minutes and try again.',
  user_name_required: 'Enter your user ID.',
  synced_user:
    'Your account is managed by your organization’s on-premises directory. Signing in here arrives with directory sync; until then, contact your administrator.',
  must_reset: 'You must change your password before you can continue. Reset it at /passwordreset.',
  phone_invalid: 'Enter a valid phone number, with its country code or a country chosen from the list.',
  phone_country_blocked: 'Your organization doesn’t allow codes to be sent to this country or region.',
  email_invalid: 'Enter a valid email address.',
  send_limited: 'Too many codes were sent. Try again later.',
  delivery_failed: 'We couldn’t send the code. Check the value and try again later.',
  method_disabled: 'Your organization doesn’t allow this method.',
  code_invalid: 'That code is wrong or has expired. Try again.',
  verification_ended: 'Too many wrong codes. Start again.',
  question_required: 'Choose a question from the list.',
  question_repeated: 'Choose a different question: each question can be used only once.',
  answer_length: 'The answer must be 3 to 40 characters.',
  answer_repeated: 'Type a different answer: two answers can’t be the same.',
  not_registered: 'Set up enough methods before you confirm.',
};

const frenchProblems: Record<SecurityInfoProblem, string> = {
  sign_in_failed: 'Votre ID d’utilisateur ou votre mot de passe est incorrect.',
  sign_in_limited: 'Trop d’échecs de connexion pour cet ID d’utilisateur. Patientez 15 minutes, puis réessayez.',
  user_name_required: 'Entrez votre ID d’utilisateur.',
  synced_user:
    'Votre compte est géré par l’annuaire local de votre organisation. La connexion ici arrivera avec la synchronisation de l’annuaire ; d’ici là, contactez votre administrateur.',
  must_reset: 'Vous devez changer votre mot de passe avant de continuer. Réinitialisez-le sur /passwordreset.',
  phone_invalid: 'Entrez un numéro de téléphone valide, avec son indicatif ou un pays choisi dans la liste.',
  phone_country_blocked: 'Votre organisation n’autorise pas l’envoi de codes vers ce pays ou cette région.',
  email_invalid: 'Entrez une adresse e-mail valide.',
  send_limited: 'Trop de codes ont été envoyés. Réessayez plus tard.',
  delivery_failed: 'Nous n’avons pas pu envoyer le code. Vérifiez la valeur et réessayez plus tard.',
  method_disabled: 'Votre organisation n’autorise pas cette méthode.',
  code_invalid: 'Ce code est incorrect ou a expiré. Réessayez.',
  verification_ended: 'Trop de codes incorrects. Recommencez.',
  question_required: 'Choisissez une question dans la liste.',
  question_repeated: 'Choisissez une autre question : chaque question ne peut servir qu’une fois.',
  answer_length: 'La réponse doit compter de 3 à 40 caractères.',
  answer_repeated: 'Tapez une autre réponse : deux réponses ne peuvent pas être identiques.',
  not_registered: 'Configurez suffisamment de méthodes avant de confirmer.',
};

export function securityInfoMessages(language: PageLanguage): SecurityInfoMessages {
  return language === 'fr' ? french : english;
}

export function securityInfoProblem(language: PageLanguage, problem: SecurityInfoProblem): string {
  return (language === 'fr' ? frenchProblems : englishProblems)[problem];
}

export function fill(text: string, values: Readonly<Record<string, string | number>>): string {
  return text.replace(/\{(\w+)\}/g, (match, name: string) => String(values[name] ?? match));
}
