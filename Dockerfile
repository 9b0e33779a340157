# argo-ts: one image for the workflow controller (`argo-ts controller`) and the executor
# (`argo-ts exec ...` in workflow pods). Build: docker build -t argo-ts:v0.1.0 .
#
# Stage 1 compiles main.ts and everything it imports (npm packages included) into one
# self-contained executable with `deno compile`.
FROM denoland/deno:debian-2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY main.ts ./
COPY api/ api/
COPY cli/ cli/
COPY cluster/ cluster/
COPY commands/ commands/
COPY controller/ controller/
COPY exec/ exec/
COPY kube/ kube/
COPY manifests/ manifests/
COPY templating/ templating/
COPY validate/ validate/
RUN deno install --frozen --entrypoint main.ts \
 && deno compile -A --frozen -o /out/argo-ts main.ts \
 && /out/argo-ts version --short

# Stage 2: the executable alone on distroless (glibc and CA certificates, no shell), as the
# unprivileged `nonroot` user (65532), which the controller Deployment also asks for.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/argo-ts /usr/local/bin/argo-ts
ENV RUST_BACKTRACE=0 NO_COLOR=1
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/argo-ts"]
CMD ["controller"]
