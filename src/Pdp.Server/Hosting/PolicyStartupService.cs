using Pdp.Server.Lifecycle;
using Pdp.Server.Policies;
using Grpc.Health.V1;
using Grpc.HealthCheck;

namespace Pdp.Server.Hosting;

/// <summary>
/// Loads the policies before the listeners open (hosted services start before the server), so a
/// broken policy directory stops the process with the problems listed, and health turns SERVING only
/// once a revision is loaded.
/// </summary>
public sealed class PolicyStartupService(PolicyStore store, HealthServiceImpl health) : IHostedService
{

    public Task StartAsync(CancellationToken cancellationToken)
    {
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.NotServing);
        health.SetStatus(HealthNames.DecisionService, HealthCheckResponse.Types.ServingStatus.NotServing);
        store.Reload();
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus(HealthNames.DecisionService, HealthCheckResponse.Types.ServingStatus.Serving);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.NotServing);
        health.SetStatus(HealthNames.DecisionService, HealthCheckResponse.Types.ServingStatus.NotServing);
        return Task.CompletedTask;
    }
}
