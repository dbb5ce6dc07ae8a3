// Secrets the gateway must be able to read back (upstream API keys), encrypted at rest with
// AES-256-GCM under ENCRYPTION_KEY. A sealed value names the key that sealed it, so a rotation
// (the old key moved to ENCRYPTION_KEY_PREVIOUS) still opens every value until it is sealed again
// under the new key. Values stored before encryption was turned on are plain text and are read as
// such until they are sealed.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface Key {
  id: string;
  bytes: Buffer;
}

// Any string of enough entropy works as ENCRYPTION_KEY: its SHA-256 is the AES key, and the first
// bytes of a second hash name it without revealing it.
function deriveKey(secret: string): Key {
  return {
    bytes: createHash('sha256').update(secret).digest(),
    id: createHash('sha256').update(`key-id:${secret}`).digest('hex').slice(0, 8),
  };
}

export class SecretBox {
  private readonly current: Key | null;
  private readonly keys: Map<string, Key>;

  constructor(secret = '', previous = '') {
    this.current = secret ? deriveKey(secret) : null;
    const all = [this.current, previous ? deriveKey(previous) : null].filter((k): k is Key => k !== null);
    this.keys = new Map(all.map((k) => [k.id, k]));
  }

  /** Whether values are sealed at all (ENCRYPTION_KEY is set). */
  get enabled(): boolean {
    return this.current !== null;
  }

  /** The stored form of `plain`: sealed under the current key, or as it is without one. */
  seal(plain: string): string {
    if (!this.current) return plain;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.bytes, iv);
    const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${this.current.id}:${iv.toString('base64url')}:${sealed.toString('base64url')}`;
  }

  /** The plain value of a stored one; throws when it was sealed under a key this process lacks. */
  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    const [id = '', iv = '', body = ''] = stored.slice(PREFIX.length).split(':');
    const key = this.keys.get(id);
    if (!key) throw new Error(`a secret was encrypted with a key (id ${id}) that is neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS`);
    const data = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /** Whether a stored value should be sealed again: plain text, or sealed under an older key. */
  needsSealing(stored: string): boolean {
    if (!this.current) return false;
    return !stored.startsWith(`${PREFIX}${this.current.id}:`);
  }
}
