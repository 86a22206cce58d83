# Multi-stage build of the Pdp sidecar. The SDK stage publishes; the runtime stage carries only the
# framework-dependent app, the shipped policies, and runs as the image's non-root user.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY proto/ proto/
COPY src/ src/
RUN dotnet publish src/Pdp.Server/Pdp.Server.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
COPY policies/ /etc/pdp/policies/
# A sidecar shares its pod's network namespace, so loopback is reachable by the app and its proxy.
ENV Pdp__PolicyDir=/etc/pdp/policies \
    Pdp__Audit__Path=/var/lib/pdp/audit.jsonl \
    DOTNET_gcServer=0
RUN mkdir -p /var/lib/pdp && chown "$APP_UID" /var/lib/pdp
VOLUME /var/lib/pdp
EXPOSE 50051 8282
# The non-root user the .NET images define (uid 1654).
USER $APP_UID
ENTRYPOINT ["dotnet", "Pdp.Server.dll"]
