using System.Net;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Pdp.Audit;
using Pdp.Policies.Loading;
using Pdp.Server.Auditing;
using Pdp.Server.AuthZen;
using Pdp.Server.Reviews;
using Pdp.Server.ReviewPlane;
using Pdp.Server.Admin;
using Pdp.Server.Configuration;
using Pdp.Server.Console;
using Pdp.Server.Decisions;
using Pdp.Server.Errors;
using Pdp.Server.Identity;
using Pdp.Server.Lifecycle;
using Pdp.Server.Mesh;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Pdp.Server.Metrics;
using Prometheus;
using Pdp.Server.Policies;

namespace Pdp.Server.Hosting;

/// <summary>Builds the sidecar host: gRPC on one port, admin HTTP on another, both from <see cref="PdpOptions"/>.</summary>
public static class PdpServer
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json ships beside the binary; relative paths in settings are still taken from the working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        var section = builder.Configuration.GetSection(PdpOptions.Section);
        var settings = section.Get<PdpOptions>() ?? new PdpOptions();

        builder.Services.AddOptions<PdpOptions>().Bind(section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PdpOptions>, PdpOptionsValidator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IPolicySource>(sp =>
        {
            var dir = sp.GetRequiredService<IOptions<PdpOptions>>().Value.PolicyDir;
            // Relative to the working directory, as a command-line user expects.
            return new DirectoryPolicySource(Path.GetFullPath(dir));
        });
        builder.Services.AddSingleton<PolicyStore>();
        builder.Services.AddSingleton<IdempotencyCache>();
        builder.Services.AddSingleton<HealthServiceImpl>();
        builder.Services.AddSingleton<ShutdownCoordinator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ShutdownCoordinator>());
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(settings.Shutdown.TimeoutSeconds));

        // Review state and the audit trail. The trail opens (and review state is rebuilt from it)
        // before the policies load, so nothing can decide before it can be recorded.
        builder.Services.AddSingleton<AuditTrailHost>();
        builder.Services.AddSingleton<IAuditTrail>(sp => sp.GetRequiredService<AuditTrailHost>());
        builder.Services.AddSingleton<DecisionRecorder>();
        builder.Services.AddReviewPlane(settings);
        if (settings.Review.Store == "postgres")
        {
            // Start order matters: the schema before the trail opens and the policies load; then the listeners.
            builder.Services.AddHostedService<ReviewPlaneStartupService>();
            builder.Services.AddHostedService<ReviewPlaneBackgroundService>();
        }

        builder.Services.AddSingleton<Pdp.Server.Reviewers.ReviewerAuthentication>();
        builder.Services.AddSingleton<ReviewService>();
        builder.Services.AddSingleton<DecisionMaker>();
        builder.Services.AddSingleton<AdmissionControl>();
        builder.Services.AddSingleton(sp => new PdpMetrics(TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<PdpOptions>>().Value.Review.MinSeconds)));
        builder.Services.AddHostedService<MetricsStartupService>();
        builder.Services.AddHostedService<TrailStartupService>();
        builder.Services.AddHostedService<BackgroundVerificationService>();
        builder.Services.AddHostedService<ReviewExpiryService>();

        builder.Services.AddHostedService<PolicyStartupService>();

        // Policy hot reload (Pdp:Reload): load counters for the admin endpoints and metrics, and the
        // watch/poll/SIGHUP loop. Registered after PolicyStartupService so it starts once a revision serves.
        builder.Services.AddSingleton<PolicyReloadStatus>();
        builder.Services.AddHostedService<PolicyReloadService>();

        // Workload identity: the SVID and trust bundles are read before Kestrel is configured, since the
        // listener needs them; a missing or broken file stops the start naming it.
        var svids = settings.Tls.Enabled ? SvidSource.Load(settings.Tls) : null;
        if (svids is not null)
        {
            builder.Services.AddSingleton(svids);
            builder.Services.AddHostedService<SvidReloadService>();
        }

        builder.Services.AddSingleton(sp => new CallerIdentityInterceptor(svids, sp.GetRequiredService<PdpMetrics>(), sp.GetRequiredService<TimeProvider>()));

        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = settings.MaxMessageBytes;
            // Outermost first: metrics see the status the error mapping produced.
            grpc.Interceptors.Add<GrpcMetricsInterceptor>();
            grpc.Interceptors.Add<RpcErrorInterceptor>();
            grpc.Interceptors.Add<CallerIdentityInterceptor>();
        });
        builder.Services.UseClearStatusBinding();
        builder.Services.AddGrpcReflection();

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = IPAddress.TryParse(settings.ListenAddress, out var parsed) ? parsed : IPAddress.Loopback;
            if (settings.PlaintextGrpc)
            {
                kestrel.Listen(address, settings.GrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            }

            kestrel.Listen(address, settings.AdminPort, listen => listen.Protocols = HttpProtocols.Http1);
            if (svids is not null)
            {
                kestrel.Listen(address, settings.Tls.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificateSelector = (_, _) => svids.ServerCertificate,
                        // The handshake takes any certificate; every call then checks it against the SPIFFE
                        // bundles and is refused with UNAUTHENTICATED (and counted) when it does not pass.
                        ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                        ClientCertificateValidation = (_, _, _) => true,
                        SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
                    });
                });
            }

            if (!string.IsNullOrEmpty(settings.UnixSocket))
            {
                // A stale socket file from a previous run would make the bind fail.
                File.Delete(settings.UnixSocket);
                kestrel.ListenUnixSocket(settings.UnixSocket, listen => listen.Protocols = HttpProtocols.Http2);
            }
        });

        // Envoy external authorization (envoy.service.auth.v3.Authorization on every gRPC listener; see Mesh/):
        // its services before the build, its gRPC service mapped right after it.
        builder.Services.AddEnvoyAuthorization();

        // AuthZEN (OpenID Authorization API 1.0) on its own listener, Pdp:AuthZen:Port: the listener and the
        // evaluator before the build, its endpoints (answering on that listener only) after. See AuthZen/.
        builder.AddAuthZen(settings);

        // The reviewer console on its own listener, Pdp:Console:Port (needs Pdp:Review:Oidc). See Console/.
        builder.AddConsole(settings);
        var app = builder.Build();
        app.MapConsole();
        app.MapAuthZen();
        app.MapEnvoyAuthorization(settings.Envoy);
        app.MapGrpcService<DecisionGrpcService>();
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcReflectionService();
        app.MapAdminEndpoints();
        app.MapMetrics("/metrics", app.Services.GetRequiredService<PdpMetrics>().Registry);
        return app;
    }
}
