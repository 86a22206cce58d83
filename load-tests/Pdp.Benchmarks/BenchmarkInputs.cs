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
        return [.. requests.Select((r, i) => new EvaluationRequest(builder.Build(r, Guid.CreateVersion7(now.AddTicks(i)).ToString(), now, Caller()), r.Action.Type, now))];
    }

    public static JsonObject Caller() => new() { ["authenticated"] = false, ["transport"] = "tcp", ["address"] = "127.0.0.1" };
}
