using Grpc.Net.Client;
using Pdp.LoadGen.Corpus;
using Pdp.LoadGen.Running;

namespace Pdp.LoadGen.Scenarios;

/// <summary>
/// One kind of load. A unit is what a closed-loop worker does per iteration and what an open-loop schedule
/// starts at each tick: one call for the baseline and the Decide mix, a decision and its human dispositions for
/// the review mix. The runner times each unit (from its intended start in open loop) as the scenario's first
/// row; a scenario may time its own calls into <see cref="SubOperations"/> as further rows.
/// <para>
/// Adding a scenario (the Envoy ext_authz <c>envoy.service.auth.v3.Authorization/Check</c> mix lands this way):
/// implement this interface, building its calls on <see cref="ScenarioEnvironment.Channel"/>, and register it in
/// <see cref="ScenarioCatalog"/> under its command-line name. Runners, modes, reports and <c>--compare</c> need no change.
/// </para>
/// </summary>
internal interface ILoadScenario
{
    /// <summary>Command-line name, e.g. <c>mixed</c>.</summary>
    string Name { get; }

    /// <summary>Name of the unit's row in the report, e.g. <c>Decide</c>.</summary>
    string UnitName { get; }

    string Description { get; }

    /// <summary>Further rows the scenario times itself (empty for single-call scenarios).</summary>
    IReadOnlyList<OperationStats> SubOperations { get; }

    /// <summary>
    /// Runs once before the warm-up, unmeasured: e.g. <c>decided</c> asks the server which of its candidate inputs
    /// it answers allow or deny. Most scenarios need nothing.
    /// </summary>
    Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs one unit. Throws (an <see cref="Grpc.Core.RpcException"/>) when any call of it fails.</summary>
    Task RunUnitAsync(long index, CancellationToken cancellationToken);
}

/// <summary>What scenarios are built from: the channel to the server, the inputs, the run's options.</summary>
internal sealed record ScenarioEnvironment(GrpcChannel Channel, PolicyData Data, LoadGenOptions Options);
