using Pdp.Contracts.V1;
using Pdp.LoadGen.Corpus;
using Pdp.LoadGen.Running;

namespace Pdp.LoadGen.Scenarios;

/// <summary>
/// Decide on actions the shipped policies send to a human (<see cref="ReviewMix.NextHuman"/>), with no dispositions:
/// the path that, with the PostgreSQL review store, commits each pending review to the database before it answers.
/// Every answer must be require-human; any other verdict counts as an error. Each unit leaves one pending review.
/// </summary>
internal sealed class HumanScenario(ScenarioEnvironment environment) : ILoadScenario
{
    public const string ScenarioName = "human";
    public const string About = "Decide on actions the policies send to a human, no dispositions (each leaves a pending review)";

    private readonly DecisionService.DecisionServiceClient _client = new(environment.Channel);
    private readonly ReviewMix _mix = new(environment.Data);
    private readonly int _seed = environment.Options.Seed;
    private readonly TimeSpan _timeout = environment.Options.CallTimeout;

    public string Name => ScenarioName;

    public string UnitName => "Decide";

    public string Description => About;

    public IReadOnlyList<OperationStats> SubOperations => [];

    public async Task RunUnitAsync(long index, CancellationToken cancellationToken)
    {
        var request = _mix.NextHuman(UnitRandom.For(_seed, index, salt: 13));
        var response = await _client.DecideAsync(request, deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        if (response.Verdict != Verdict.RequireHuman)
        {
            throw new UnexpectedVerdictException($"{request.Action.Type} was answered {response.Verdict}, not require_human");
        }
    }
}
