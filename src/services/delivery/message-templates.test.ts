import { describe, expect, it } from 'vitest';
import {
  codeEmail,
  codeSms,
  codeVoice,
  escapeHtml,
  messageLanguage,
  passwordChangedEmail,
  spokenDigits,
} from './message-templates.js';

describe('messageLanguage', () => {
  it.each([
    ['fr', 'fr'],
    ['fr-CA', 'fr'],
    ['FR-fr', 'fr'],
    ['en-US', 'en'],
    ['de', 'en'],
    ['', 'en'],
  ])('%s → %s', (tag, expected) => {
    expect(messageLanguage(tag)).toBe(expected);
  });
});

describe('code email', () => {
  it('has a subject, the code in plain text and in HTML', () => {
    const email = codeEmail({ code: '12345678', purpose: 'passwordReset', tenantName: 'Contoso', language: 'en' });
    expect(email.subject).toBe('Contoso account verification code');
    expect(email.text).toContain('\n12345678\n');
    expect(email.html).toContain('<html lang="en">');
    expect(email.html).toContain('>12345678</strong>');
  });

  it('escapes the tenant name in the HTML part, not in the plain text', () => {
    const tenantName = `<script>alert("x")</script> & 'Co'`;
    const email = codeEmail({ code: '12345678', purpose: 'passwordReset', tenantName, language: 'en' });
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Co&#39;');
    expect(email.text).toContain(tenantName);
  });

  it('speaks French to a French page and names the purpose', () => {
    const email = codeEmail({
      code: '87654321',
      purpose: 'securityInfoRegistration',
      tenantName: 'Contoso',
      language: 'fr-FR',
    });
    expect(email.subject).toBe('Code de vérification du compte Contoso');
    expect(email.text).toContain('Vous enregistrez cette adresse');
    expect(email.html).toContain('<html lang="fr">');
  });
});

describe('SMS and voice texts', () => {
  it('puts the code in one short SMS', () => {
    expect(codeSms({ code: '12345678', tenantName: 'Contoso', language: 'en' })).toBe(
      'Use verification code 12345678 for your Contoso account.',
    );
    expect(codeSms({ code: '12345678', tenantName: 'Contoso', language: 'fr' })).toBe(
      'Utilisez le code de vérification 12345678 pour votre compte Contoso.',
    );
  });

  it('reads the digits separated, twice', () => {
    expect(spokenDigits('120')).toBe('1, 2, 0');
    const spoken = codeVoice({ code: '12345678', tenantName: 'Contoso', language: 'en' });
    expect(spoken.split('1, 2, 3, 4, 5, 6, 7, 8')).toHaveLength(3);
    expect(spoken).not.toContain('12345678');
    const french = codeVoice({ code: '12345678', tenantName: 'Contoso', language: 'fr' });
    expect(french.split('1, 2, 3, 4, 5, 6, 7, 8')).toHaveLength(3);
    expect(french).toContain('Je répète');
  });
});

describe('password changed notice', () => {
  const at = new Date('2026-03-01T10:15:00Z');

  it('tells the user their password was reset, with the time in UTC', () => {
    const email = passwordChangedEmail({
      kind: 'self',
      userPrincipalName: 'emily@contoso.com',
      displayName: 'Emily',
      at,
      tenantName: 'Contoso',
      language: 'en',
    });
    expect(email.subject).toBe('Contoso account password reset');
    expect(email.text).toContain('emily@contoso.com was reset on March 1, 2026');
    expect(email.text).toContain('UTC');
    expect(email.text).toContain("If you didn't reset your password");
  });

  it('tells the other administrators who reset their password, escaped in HTML', () => {
    const email = passwordChangedEmail({
      kind: 'adminResetByUser',
      userPrincipalName: 'hal@contoso.com',
      displayName: 'Hal <the admin>',
      at,
      tenantName: 'Contoso',
      language: 'en',
    });
    expect(email.subject).toBe('Contoso: another administrator reset their password');
    expect(email.text).toContain('The administrator Hal <the admin> (hal@contoso.com) reset their own password');
    expect(email.html).toContain('Hal &lt;the admin&gt;');
    expect(email.html).not.toContain('<the admin>');
  });

  it('has French versions of both kinds', () => {
    const self = passwordChangedEmail({
      kind: 'self',
      userPrincipalName: 'elodie@contoso.fr',
      displayName: null,
      at,
      tenantName: 'Contoso',
      language: 'fr',
    });
    expect(self.subject).toBe('Réinitialisation du mot de passe du compte Contoso');
    expect(self.text).toContain('1 mars 2026');
    const admin = passwordChangedEmail({
      kind: 'adminResetByUser',
      userPrincipalName: 'hal@contoso.fr',
      displayName: null,
      at,
      tenantName: 'Contoso',
      language: 'fr-CA',
    });
    expect(admin.subject).toBe('Contoso : un autre administrateur a réinitialisé son mot de passe');
    expect(admin.text).toContain("L'administrateur hal@contoso.fr a réinitialisé");
  });

  it('escapes every HTML special character', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
