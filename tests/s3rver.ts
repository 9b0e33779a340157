/**
 * Tests only: an S3-compatible server (s3rver 3.7.1) on 127.0.0.1, port chosen by the system,
 * storing into a temporary directory that is removed on close.
 *
 * s3rver lacks ListMultipartUploads (`GET /<bucket>?uploads`, answered 501), which minio-js
 * calls before every upload of unknown size or larger than its part size: a small middleware in
 * front answers it with an empty list (see docs/../shared reference, dependencies.md §5).
 *
 * s3rver checks that the access key is known but does not verify V4 signatures, so any secret
 * key is accepted with a registered access key (`S3RVER`, or one added with `addAccessKey`).
 *
 * @module
 */
import S3rver from "s3rver";
import AWSAccount from "s3rver/lib/models/account.js";

export interface TestS3 {
  /** `127.0.0.1:<port>`, as an Argo S3 endpoint (no scheme). */
  endpoint: string;
  port: number;
  /** Where s3rver keeps its objects. */
  directory: string;
  close(): Promise<void>;
}

interface KoaContext {
  method: string;
  query: Record<string, unknown>;
  params?: Record<string, string>;
  path: string;
  status: number;
  type: string;
  body: unknown;
}

type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

interface S3rverInstance {
  middleware: Middleware[];
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

interface AccountRegistry {
  registry: Map<string, { createKeyPair(id: string, secret: string): void }>;
}

/** Lets `accessKeyId` in (its secret is not checked by s3rver for V4 signatures). */
export function addAccessKey(accessKeyId: string, secretAccessKey: string): void {
  const accounts = AWSAccount as unknown as AccountRegistry;
  const dummy = accounts.registry.get("S3RVER");
  if (!dummy) throw new Error("s3rver's built-in account is missing");
  dummy.createKeyPair(accessKeyId, secretAccessKey);
}

const EMPTY_UPLOADS = (bucket: string) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  `<Bucket>${bucket}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
  "<NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker>" +
  "<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>";

/** Starts s3rver with the given buckets already there. */
export async function startS3rver(buckets: string[] = []): Promise<TestS3> {
  const directory = await Deno.makeTempDir({ prefix: "argo-ts-s3rver-" });
  const ctor = S3rver as unknown as new (options: Record<string, unknown>) => S3rverInstance;
  const server = new ctor({
    address: "127.0.0.1",
    port: 0,
    directory,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  server.middleware.unshift(async (ctx, next) => {
    if (ctx.method === "GET" && "uploads" in ctx.query) {
      ctx.status = 200;
      ctx.type = "application/xml";
      ctx.body = EMPTY_UPLOADS(ctx.path.split("/").filter((p) => p)[0] ?? "");
      return;
    }
    await next();
  });
  const { port } = await server.run();
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    directory,
    close: async () => {
      await server.close();
      await Deno.remove(directory, { recursive: true }).catch(() => {});
    },
  };
}

if (import.meta.main) {
  const s3 = await startS3rver(Deno.args);
  console.log(s3.endpoint);
  await new Promise(() => {});
}
