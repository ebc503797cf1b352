# The image tracer runs programs in: Go, Python 3 and strace, with the Go
# samples compiled at build time so a run never compiles.
#
# BASE defaults to the official Go image. Where no registry is reachable,
# ./build-base-image.sh builds an equivalent one from Debian packages and
# tracer passes it here (docker build --build-arg BASE=tracer-base:bookworm).
ARG BASE=golang:1.27-bookworm
# PREVIOUS: an earlier image of this project (tracer passes its newest one);
# its compiled samples seed the build below, where go build relinks only the
# samples whose code changed. By default, none: an empty directory.
ARG PREVIOUS=no-previous-image
FROM ${BASE} AS no-previous-image
RUN mkdir -p /opt/tracer/bin
FROM ${PREVIOUS} AS previous

FROM ${BASE}

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 strace \
 && rm -rf /var/lib/apt/lists/*

# Programs run as this user, never as root.
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin tracer

# Pure-Go binaries: the net package then uses its own resolver and netpoller,
# the same whether or not the base image has a C compiler.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local
# Go's addr2line turns the -k frames of a traced Go program into file:line.
# Built here because recent Go distributions no longer ship it prebuilt. The
# standard library packages samples use are compiled into Go's build cache in
# this layer too, so that a change to a sample recompiles only the samples.
RUN go build -o /opt/tracer/addr2line cmd/addr2line \
 && go build net net/http os/signal io bytes encoding/json syscall
WORKDIR /src
# The build context holds only go.mod and the .go files (tracer builds it), so
# editing a Python sample never invalidates this layer. -gcflags=-l keeps the
# sample's own calls from being inlined (only in package main), so each -k
# stack frame maps back to the sample's line rather than into io or net.
# The samples build side by side, one per core. The previous image's binaries
# are copied in first: go build finds those still current by their build IDs
# and relinks only the samples whose code changed (linking is most of a
# build). What the builds add to Go's cache is dropped: the next image starts
# from the layer above, so it would only make the image larger.
# environment.json: what the image holds, which every run reports.
COPY go_samples/ /src/
COPY --from=previous /opt/tracer/bin/ /opt/tracer/bin/
RUN set -eu; \
    mains=$(go list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./...); \
    [ -n "$mains" ]; \
    touch /tmp/before-samples; \
    printf '%s\n' $mains | sed 's#^tracer.local/samples/##' | xargs -P "$(nproc)" -I '{}' sh -c \
        'mkdir -p "/opt/tracer/bin/$(dirname {})" && go build -gcflags=-l -o "/opt/tracer/bin/{}" "./{}"'; \
    find "$(go env GOCACHE)" -type f -newer /tmp/before-samples -delete; \
    printf '{"python": "%s", "go": "%s", "strace": "%s"}\n' \
        "$(python3 -c 'import platform; print(platform.python_version())')" \
        "$(go env GOVERSION | sed 's/^go//')" \
        "$(strace -V | head -n 1 | awk '{print $NF}')" > /opt/tracer/environment.json

# Users' compiled programs and Go's build cache live in a named volume mounted
# here; a new volume copies this directory's owner, so the build can write it.
RUN mkdir -p /cache && chown tracer:tracer /cache

USER tracer
WORKDIR /tmp
