using Pdp.Contracts.V1;
using Pdp.LoadGen.Corpus;
using Pdp.LoadGen.Running;

namespace Pdp.LoadGen.Scenarios;

/// <summary>The realistic Decide mix (<see cref="DecideMix"/>): decisions only, no dispositions.</summary>
internal sealed class DecideMixScenario(ScenarioEnvironment environment) : ILoadScenario
{
    public const string ScenarioName = "mixed";
    public const string About = "Decide over the shipped policies: test-case inputs, synthesized catalog actions, 25% repeated inputs";

    private readonly DecisionService.DecisionServiceClient _client = new(environment.Channel);
    private readonly DecideMix _mix = new(environment.Data, environment.Options.Seed);
    private readonly int _seed = environment.Options.Seed;
    private readonly TimeSpan _timeout = environment.Options.CallTimeout;

    public string Name => ScenarioName;

    public string UnitName => "Decide";

    public string Description => About;

    public IReadOnlyList<OperationStats> SubOperations => [];

    public async Task RunUnitAsync(long index, CancellationToken cancellationToken)
    {
        var rng = UnitRandom.For(_seed, index);
        var request = _mix.Next(rng);
        await _client.DecideAsync(request, deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
    }
}
