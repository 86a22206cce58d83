using System.Globalization;
using Pdp.Contracts.V1;
using Pdp.LoadGen.Corpus;
using Pdp.LoadGen.Running;

namespace Pdp.LoadGen.Scenarios;

/// <summary>
/// Decide on inputs the server answers allow or deny, never require-human: the hot path, which with the PostgreSQL
/// review store must not wait on the network. The candidates are the mix's own (the shipped test cases the server
/// accepts, the repeated pool, <see cref="SynthesizedCandidates"/> synthesized ones from the run's seed); before the
/// warm-up each is sent once and only those answered allow or deny are kept. The server itself is the classifier on
/// purpose: a test case's expected verdict assumes its own caller and data overrides, which a plaintext load test does
/// not have, and re-evaluating outside the server would need its input builder. Every answer is checked again during
/// the run; a require-human one counts as an error.
/// </summary>
internal sealed class DecidedScenario(ScenarioEnvironment environment) : ILoadScenario
{
    public const string ScenarioName = "decided";
    public const string About = "Decide on the mix's inputs the server answers allow or deny (classified by the server before the warm-up)";
    public const int SynthesizedCandidates = 256;

    private readonly DecisionService.DecisionServiceClient _client = new(environment.Channel);
    private readonly int _seed = environment.Options.Seed;
    private readonly TimeSpan _timeout = environment.Options.CallTimeout;
    private DecideRequest[] _pool = [];
    private string _composition = string.Empty;

    public string Name => ScenarioName;

    public string UnitName => "Decide";

    public string Description => _composition.Length == 0 ? About : $"{About}; {_composition}";

    public IReadOnlyList<OperationStats> SubOperations => [];

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var mix = new DecideMix(environment.Data, _seed);
        var rng = new Random(_seed);
        DecideRequest[] candidates = [.. mix.TestCases, .. mix.HotPool, .. Enumerable.Range(0, SynthesizedCandidates).Select(_ => mix.Synthesize(rng))];
        var verdicts = new Verdict[candidates.Length];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, candidates.Length),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (i, ct) => verdicts[i] = (await _client.DecideAsync(candidates[i], deadline: DateTime.UtcNow + _timeout, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)).Verdict).ConfigureAwait(false);
        _pool = [.. candidates.Where((_, i) => IsDecided(verdicts[i]))];
        if (_pool.Length == 0)
        {
            throw new InvalidOperationException("no candidate input was answered allow or deny: the policy set sends everything to a human");
        }

        int Count(Verdict v) => verdicts.Count(x => x == v);
        _composition = string.Create(CultureInfo.InvariantCulture, $"pool {_pool.Length} of {candidates.Length} candidates ({Count(Verdict.Allow)} allow, {Count(Verdict.Deny)} deny, {Count(Verdict.RequireHuman)} require_human dropped)");
    }

    public async Task RunUnitAsync(long index, CancellationToken cancellationToken)
    {
        var rng = UnitRandom.For(_seed, index, salt: 11);
        var request = _pool[rng.Next(_pool.Length)];
        if (rng.NextDouble() < DecideMix.RequestIdShare)
        {
            // As in the mix: some requests carry a unique id. Shared messages are never changed.
            request = request.Clone();
            request.RequestId = Guid.NewGuid().ToString("N");
        }

        var response = await _client.DecideAsync(request, deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        if (!IsDecided(response.Verdict))
        {
            throw new UnexpectedVerdictException($"{request.Action.Type} was answered {response.Verdict}, not allow or deny");
        }
    }

    private static bool IsDecided(Verdict verdict) => verdict is Verdict.Allow or Verdict.Deny;
}
