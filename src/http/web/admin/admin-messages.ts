import type { SignInProblem } from '../../../services/self-service/security-info-service.js';
import type { PageLanguage } from '../language.js';

/**
 * Every text of the admin portal, per language (English only for now: French falls back to it). `{name}`
 * placeholders are filled by `fill` from the security-info messages.
 */
const english = {
  portalName: 'Admin portal',
  navDashboard: 'Dashboard',
  navUsers: 'Users',
  navPolicy: 'Password reset policy',
  navSync: 'On-premises sync',
  navBulk: 'Bulk operations',
  navAudit: 'Audit logs',
  navApps: 'App registrations',
  navOutbox: 'Outbox',
  navLabel: 'Admin portal',
  signedInAs: 'Signed in as {name}',
  signOut: 'Sign out',
  signInHeading: 'Sign in to the admin portal',
  signInIntro: 'Sign in with an account that holds a directory role.',
  userName: 'User ID',
  userNameHint: 'Example: admin@contoso.com',
  password: 'Password',
  signIn: 'Sign in',
  signedOut: 'You have signed out.',
  sessionEnded: 'Your session has ended. Sign in again.',
  problemHeading: 'There is a problem',
  forbiddenHeading: 'This form has expired',
  forbiddenText: 'The form was not sent from your current session. Go back, reload the page and try again.',
  deniedHeading: 'You don’t have permission',
  deniedText: 'Your directory roles don’t allow this action on this user.',
  notFoundHeading: 'Not found',
  notFoundText: 'The user or page you asked for doesn’t exist.',
  backToUsers: 'Back to users',
  dashboardHeading: 'Dashboard',
  // Users
  usersHeading: 'Users',
  searchLabel: 'Search by name, user ID, phone or email',
  search: 'Search',
  filterSource: 'Source',
  filterAny: 'Any',
  filterCloud: 'Cloud',
  filterSynced: 'Synced from on-premises',
  newUser: '+ New user',
  noUsers: 'No user matches.',
  nextPage: 'Next page',
  firstPage: 'First page',
  colName: 'Name',
  colUpn: 'User ID',
  colSource: 'Source',
  colMobile: 'Mobile phone',
  colEnabled: 'Account',
  enabled: 'Enabled',
  disabled: 'Disabled',
  sourceCloud: 'Cloud',
  sourceSynced: 'On-premises',
  createHeading: 'New user',
  displayName: 'Display name',
  upn: 'User principal name',
  upnHint: 'Example: adele@{domain}',
  mailNickname: 'Mail nickname',
  initialPasswordLegend: 'Initial password',
  generatePassword: 'Generate a password',
  typePassword: 'Let me type a password',
  create: 'Create',
  cancel: 'Cancel',
  createdHeading: 'User created',
  createdText: '{upn} was created. Give them this initial password; it is shown only once:',
  createdMustChange: 'They must change it at their first sign-in.',
  openUser: 'Open the user',
  userHeading: '{name}',
  profile: 'Profile',
  contactInfo: 'Contact info',
  officePhone: 'Office phone',
  mobilePhone: 'Mobile phone',
  alternateEmail: 'Alternate email',
  alternateEmailHint: 'One address per line.',
  managedOnPremises: 'managed on-premises',
  save: 'Save',
  saved: 'Saved.',
  authenticationMethods: 'Authentication methods',
  jobTitle: 'Job title',
  mail: 'Email',
  accountEnabled: 'Account enabled',
  yes: 'Yes',
  no: 'No',
  createdOn: 'Created',
  lastSync: 'Last synced',
  notSet: 'Not set',
};

export type AdminMessages = typeof english;

export type AdminProblem = SignInProblem;

const englishProblems: Record<AdminProblem, string> = {
  sign_in_failed: 'Your user ID or password is incorrect, or your account can’t use the admin portal.',
  sign_in_limited: 'Too many failed sign-ins for this user ID. Wait 15 minutes and try again.',
  user_name_required: 'Enter your user ID.',
  must_reset: 'You must change your password before you can continue. Reset it at /passwordreset.',
};

export function adminMessages(_language: PageLanguage): AdminMessages {
  return english;
}

export function adminProblem(_language: PageLanguage, problem: AdminProblem): string {
  return englishProblems[problem];
}
