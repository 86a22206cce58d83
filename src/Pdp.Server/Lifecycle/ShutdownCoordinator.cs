using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.Options;
using Pdp.Server.Configuration;
using Pdp.Server.Logging;

namespace Pdp.Server.Lifecycle;

/// <summary>
/// The order of a graceful stop: readiness and gRPC health turn false first; after the drain delay the
/// listeners stop taking connections while calls in flight finish (up to the shutdown timeout); the
/// trail is flushed and closed when the host is disposed, after the last call has been recorded.
/// </summary>
public sealed class ShutdownCoordinator(IHostApplicationLifetime lifetime, HealthServiceImpl health, IOptions<PdpOptions> options, ILogger<ShutdownCoordinator> logger) : IHostedService
{
    private volatile bool _draining;

    /// <summary>True once a stop has begun.</summary>
    public bool Draining => _draining;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(BeginDrain);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void BeginDrain()
    {
        _draining = true;
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.NotServing);
        health.SetStatus(HealthNames.DecisionService, HealthCheckResponse.Types.ServingStatus.NotServing);
        var delay = TimeSpan.FromSeconds(options.Value.Shutdown.DrainDelaySeconds);
        ServerLog.Draining(logger, delay.TotalSeconds);

        // Runs on the stopping callback: holding it here keeps the listeners open for the delay.
        Thread.Sleep(delay);
    }
}
