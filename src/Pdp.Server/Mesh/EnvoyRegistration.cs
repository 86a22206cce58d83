using Pdp.Server.Configuration;

namespace Pdp.Server.Mesh;

/// <summary>Wires Envoy external authorization into the host (two lines in <c>PdpServer</c>).</summary>
public static class EnvoyRegistration
{
    public static IServiceCollection AddEnvoyAuthorization(this IServiceCollection services)
    {
        services.AddSingleton<CheckRequestMapper>();
        services.AddSingleton<ApprovalRedeemer>();
        services.AddSingleton<EnvoyCheckHandler>();
        return services;
    }

    /// <summary>Serves <c>envoy.service.auth.v3.Authorization</c> on every gRPC listener unless <c>Pdp:Envoy:Enabled</c> is false.</summary>
    public static WebApplication MapEnvoyAuthorization(this WebApplication app, EnvoyOptions settings)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Enabled)
        {
            app.MapGrpcService<EnvoyAuthorizationService>();
        }

        return app;
    }
}
