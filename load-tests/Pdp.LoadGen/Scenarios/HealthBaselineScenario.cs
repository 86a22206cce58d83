using Grpc.Health.V1;
using Pdp.LoadGen.Running;

namespace Pdp.LoadGen.Scenarios;

/// <summary>
/// The no-op baseline: <c>grpc.health.v1.Health/Check</c> on the same server, port and channel. It costs the
/// same HTTP/2 and gRPC framing, interceptors and thread hops as Decide and no policy, trail or metrics work,
/// so the ratio of a scenario's throughput to it is what Pdp's own work costs on this machine.
/// </summary>
internal sealed class HealthBaselineScenario(ScenarioEnvironment environment) : ILoadScenario
{
    public const string ScenarioName = "baseline";
    public const string About = "grpc.health.v1.Health/Check on the same server: the no-op baseline";

    private static readonly HealthCheckRequest Request = new() { Service = "pdp.v1.DecisionService" };
    private readonly Health.HealthClient _client = new(environment.Channel);
    private readonly TimeSpan _timeout = environment.Options.CallTimeout;

    public string Name => ScenarioName;

    public string UnitName => "Health/Check";

    public string Description => About;

    public IReadOnlyList<OperationStats> SubOperations => [];

    public async Task RunUnitAsync(long index, CancellationToken cancellationToken)
    {
        var response = await _client.CheckAsync(Request, deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        if (response.Status != HealthCheckResponse.Types.ServingStatus.Serving)
        {
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, $"health says {response.Status}"));
        }
    }
}
