# Multi-stage build of the Pdp sidecar. The SDK stage publishes; the runtime stage carries only the
# framework-dependent app and the shipped policies, and runs as the image's non-root user.
#
#   docker build -t pdp .
#   docker run --rm -v pdp-trail:/var/lib/pdp pdp
#
# Every port binds Pdp:ListenAddress, loopback by default: a sidecar serves its pod (which shares the
# network namespace), not the network. Outside a pod, set -e Pdp__ListenAddress=0.0.0.0 and publish the ports.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY proto/ proto/
COPY src/ src/
RUN dotnet publish src/Pdp.Server/Pdp.Server.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The shipped policies; in Kubernetes a ConfigMap is mounted over them (deploy/k8s/pdp-policies.yaml).
COPY policies/ /etc/pdp/policies/
ENV Pdp__PolicyDir=/etc/pdp/policies \
    Pdp__Audit__Path=/var/lib/pdp/audit.jsonl \
    DOTNET_gcServer=0
# The audit trail lives on a volume: it is the durable record of every decision.
RUN mkdir -p /var/lib/pdp && chown "$APP_UID" /var/lib/pdp
VOLUME /var/lib/pdp
# gRPC (plaintext), gRPC over mTLS (Pdp:Tls), admin HTTP (/healthz, /readyz, /metrics), AuthZEN HTTP.
EXPOSE 50051 50052 8282 8383
# The aspnet image has no curl: the server itself GETs /readyz on the admin port and exits 0 or 1.
HEALTHCHECK --interval=15s --timeout=6s --start-period=20s --retries=3 \
    CMD ["dotnet", "/app/Pdp.Server.dll", "--healthcheck", "/readyz"]
# The non-root user the .NET images define (uid 1654).
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/Pdp.Server.dll"]
