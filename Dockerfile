# syntax=docker/dockerfile:1
# A small image holding only ferry (a static musl binary):
#
#   docker run --rm -v "$PWD:/work" IMAGE convert --check
#
# `docker build .` builds ferry from this checkout (the last stage). The release workflow builds
# `--target release` instead, from the binaries it has just built and checksummed, laid out as
# dist/linux-amd64/ferry and dist/linux-arm64/ferry.

FROM scratch AS release
ARG TARGETARCH
COPY --chmod=0755 dist/linux-${TARGETARCH}/ferry /ferry
WORKDIR /work
ENTRYPOINT ["/ferry"]
CMD ["--help"]

FROM rust:1-alpine AS build
# The C library's headers, for mimalloc's C code. Not pinned (DL3018): the package follows the
# base image's Alpine release, and a pinned version stops installing when Alpine updates it.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin ferry && cp target/release/ferry /ferry

FROM scratch
COPY --from=build /ferry /ferry
WORKDIR /work
ENTRYPOINT ["/ferry"]
CMD ["--help"]
