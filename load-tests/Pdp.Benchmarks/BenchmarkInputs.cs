using System.Text.Json.Nodes;
using Pdp.Contracts.V1;
using Pdp.Evaluation;
using Pdp.LoadGen.Corpus;
using Pdp.Policies.Loading;
using Pdp.Policies.Model;
using Pdp.Server.Decisions;

namespace Pdp.Benchmarks;

/// <summary>
/// The shipped policy set and realistic inputs: the load generator's Decide mix (test-case inputs, synthesized catalog
/// actions, repeated inputs), each turned into the <c>input</c> document by the server's own <see cref="DecisionInputBuilder"/>.
/// </summary>
public static class BenchmarkInputs
{
    public const int Count = 512;

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pdp.sln")))
            {
                return dir.FullName;
            }
        }

        // BenchmarkDotNet runs a copy from its own folder; the working directory is the repository when run as documented.
        return Directory.GetCurrentDirectory();
    }

    public static string PolicyDirectory => Path.Combine(RepositoryRoot(), "policies");

    public static PolicySet LoadShipped() => new PolicySetLoader(new Pdp.Policies.Sandbox.SandboxOptions()).Load(new DirectoryPolicySource(PolicyDirectory).Read());

    /// <summary>
    /// The shipped set with <c>cacheable: true</c> added to every policy that reads neither <c>input.time</c>,
    /// <c>input.decision_id</c> nor the clock (all but secrets-access as shipped), to measure the outcome cache.
    /// </summary>
    public static PolicySet LoadShippedCacheable()
    {
        var snapshot = new DirectoryPolicySource(PolicyDirectory).Read();
        var policies = snapshot.Policies
            .Select(f => System.Text.RegularExpressions.Regex.IsMatch(f.Content, @"\b(time|decision_id|Date)\b")
                ? f
                : f with { Content = f.Content.Replace("export const policy = {", "export const policy = { cacheable: true,", StringComparison.Ordinal) })
            .ToArray();
        return new PolicySetLoader(new Pdp.Policies.Sandbox.SandboxOptions()).Load(snapshot with { Policies = policies });
    }

    /// <summary>Units 0..count-1 of the load generator's Decide mix, drawn exactly as its scenario draws them.</summary>
    public static DecideRequest[] StreamRequests(int count, int seed)
    {
        var mix = new DecideMix(PolicyData.Load(PolicyDirectory), seed);
        return [.. Enumerable.Range(0, count).Select(i => mix.Next(UnitRandom.For(seed, i)))];
    }

    public static DecideRequest[] Requests(int count = Count, int seed = 1)
    {
        var mix = new DecideMix(PolicyData.Load(PolicyDirectory), seed);
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => mix.Next(rng))];
    }

    public static EvaluationRequest[] Evaluations(DecideRequest[] requests)
    {
        var builder = new DecisionInputBuilder(20);
        var now = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        return [.. requests.Select((r, i) => new EvaluationRequest(WithServerFacts(builder.Build(r), now.AddTicks(i)), r.Action.Type, now))];
    }

    /// <summary>Adds what the server adds to a proposal (decision id, time, caller) and completes it, as the server's decision path does.</summary>
    public static JsonObject WithServerFacts(JsonObject proposal, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        proposal["decision_id"] = Guid.CreateVersion7(now).ToString();
        proposal["time"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        proposal["caller"] = Caller();
        return Pdp.Evaluation.Testing.InputDocument.Complete(proposal);
    }

    public static JsonObject Caller() => new() { ["authenticated"] = false, ["transport"] = "tcp", ["address"] = "127.0.0.1" };
}
