/**
 * The server's certificates: a CA and a serving certificate for 127.0.0.1/localhost, made with
 * the `openssl` command (EC P-256) the first time a state directory is used and kept there.
 */
import { join } from "node:path";

export interface CertificateFiles {
  caCert: string;
  cert: string;
  key: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** Reads the certificates under `dir`, creating them when missing. */
export async function ensureCertificates(
  dir: string,
  hosts: string[] = ["127.0.0.1"],
): Promise<CertificateFiles> {
  const files = {
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    cert: join(dir, "server.crt"),
    key: join(dir, "server.key"),
  };
  if (!(await exists(files.cert)) || !(await exists(files.key)) || !(await exists(files.caCert))) {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
    await openssl(["genpkey", ...ec, "-out", "ca.key"], dir);
    await openssl([
      "req",
      "-x509",
      "-new",
      "-key",
      "ca.key",
      "-sha256",
      "-days",
      "3650",
      "-subj",
      "/CN=argo-ts-ca",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
      "-out",
      "ca.crt",
    ], dir);
    await openssl(["genpkey", ...ec, "-out", "server.key"], dir);
    await openssl(
      ["req", "-new", "-key", "server.key", "-subj", "/CN=argo-ts-apiserver", "-out", "server.csr"],
      dir,
    );
    const sans = new Set(["localhost", "127.0.0.1", ...hosts]);
    const altNames = [...sans].map((h) => /^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`);
    await Deno.writeTextFile(
      join(dir, "server.ext"),
      `subjectAltName=${altNames.join(",")}\nextendedKeyUsage=serverAuth\n` +
        "keyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n",
    );
    await openssl([
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "3650",
      "-sha256",
      "-extfile",
      "server.ext",
      "-out",
      "server.crt",
    ], dir);
    for (const f of ["server.csr", "server.ext", "ca.srl"]) {
      await Deno.remove(join(dir, f)).catch(() => {});
    }
    await Deno.chmod(files.caKey, 0o600);
    await Deno.chmod(files.key, 0o600);
  }
  return {
    caCert: await Deno.readTextFile(files.caCert),
    cert: await Deno.readTextFile(files.cert),
    key: await Deno.readTextFile(files.key),
  };
}
