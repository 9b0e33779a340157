/** Name validation as kube-apiserver does it (k8s.io/apimachinery validation). */

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Returns why `name` is not a DNS-1123 subdomain, or undefined when it is one. */
export function subdomainProblem(name: string): string | undefined {
  if (name.length > 253) return "must be no more than 253 characters";
  if (!SUBDOMAIN.test(name)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, " +
      "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', " +
      "regex used for validation is " +
      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  }
  return undefined;
}

/** Returns why `name` is not a DNS-1123 label, or undefined when it is one. */
export function labelProblem(name: string): string | undefined {
  if (name.length > 63) return "must be no more than 63 characters";
  if (!LABEL.test(name)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or " +
      "'-', and must start and end with an alphanumeric character (e.g. 'my-name', or " +
      "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  }
  return undefined;
}

const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** Five random characters, as kube's generateName appends (its alphabet avoids vowels). */
export function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  let out = "";
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}
