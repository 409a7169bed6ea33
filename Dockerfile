# A small static image of `chaos` for running experiments inside a cluster
# (see `chaos kubernetes manifests`).
#
#   docker build -t chaos:0.1.0 .
#
# Stage 1 builds a fully static binary: Alpine's Rust targets musl and links
# statically by default, and chaos needs no OpenSSL (rustls).
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --profile dist --locked -p chaos \
    && strip target/dist/chaos \
    && mkdir -p /out/journals \
    && cp target/dist/chaos /out/chaos

# Stage 2 is distroless: CA certificates, /etc/passwd with the `nonroot`
# user (65532, the user the generated Jobs run as), and nothing else: no
# shell, no Python. Experiments that call Python extensions or run programs
# need an image that has them (the manifests command warns about those).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/chaos /usr/local/bin/chaos
COPY --from=build --chown=65532:65532 /out/journals /var/lib/chaos/journals
USER 65532:65532
WORKDIR /var/lib/chaos/journals
ENTRYPOINT ["/usr/local/bin/chaos"]
CMD ["--help"]
