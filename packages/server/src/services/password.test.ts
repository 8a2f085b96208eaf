import { describe, expect, it } from 'vitest';
import { dummyHash, hashPassword, PASSWORD_COST, verifyPassword } from './password.js';

// The integration harness hashes at a lower cost (test/harness.ts); this is where the production
// cost is held to its parameters and shown to round-trip.
describe('password hashing', () => {
  it('hashes at the production scrypt cost by default and verifies only the right password', async () => {
    expect(PASSWORD_COST).toEqual({ N: 2 ** 15, r: 8, p: 1 });
    const hash = await hashPassword('correct-horse-battery-staple');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}$/);
    expect(hash).not.toContain('correct-horse');
    expect(await verifyPassword('correct-horse-battery-staple', hash)).toBe(true);
    expect(await verifyPassword('correct-horse-battery-stapl', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('verifies a hash by the cost it records, so hashes of another cost keep working', async () => {
    const cheap = await hashPassword('pw-1234567890', { N: 2 ** 10, r: 8, p: 1 });
    expect(cheap).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('pw-1234567890', cheap)).toBe(true);
    expect(await verifyPassword('pw-123456789', cheap)).toBe(false);
  });

  it('refuses malformed hashes and never matches the dummy hash', async () => {
    expect(await verifyPassword('x', 'bcrypt$10$abc')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$$8$1$c2FsdA==$a2V5')).toBe(false);
    expect(dummyHash()).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('', dummyHash())).toBe(false);
  });
});
