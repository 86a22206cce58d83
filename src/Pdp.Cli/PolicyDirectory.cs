using Pdp.Evaluation.Testing;
using Pdp.Policies.Loading;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;

namespace Pdp.Cli;

/// <summary>
/// A policy directory read and loaded exactly as the server does (<see cref="DirectoryPolicySource"/> then
/// <see cref="PolicySetLoader"/>). <see cref="Set"/> is null when the loader reported any problem.
/// </summary>
internal sealed record PolicyDirectory(PolicySourceSnapshot Snapshot, PolicySet? Set, IReadOnlyList<PolicyProblem> Problems)
{
    /// <summary>Reads and loads <paramref name="directory"/>, or returns null (after saying so) when it is not a directory.</summary>
    public static PolicyDirectory? Open(string directory, SandboxOptions sandbox, CliIo io)
    {
        if (string.IsNullOrWhiteSpace(directory) || !Directory.Exists(directory))
        {
            io.Fail($"policy directory '{directory}' does not exist");
            return null;
        }

        var snapshot = new DirectoryPolicySource(directory).Read();
        var (set, problems) = new PolicySetLoader(sandbox).TryLoad(snapshot);
        return new PolicyDirectory(snapshot, set, problems);
    }

    /// <summary>
    /// Opens the directory for a verb that needs a loaded set: prints the problems and says why when there is
    /// none, and returns null then (the caller exits with <see cref="ExitCodes.Usage"/>).
    /// </summary>
    public static PolicySet? LoadOrReport(string directory, SandboxOptions sandbox, CliIo io)
    {
        var loaded = Open(directory, sandbox, io);
        if (loaded is { Set: null })
        {
            Cli.Problems.Print(loaded.Problems, io.Error);
            io.Fail($"the policy directory could not be loaded ({Cli.Problems.Count(loaded.Problems.Count)}); run 'pdp check {directory}'");
        }

        return loaded?.Set;
    }

    /// <summary>Parses every <c>*.test.json</c> of the directory, collecting their problems.</summary>
    public IReadOnlyList<PolicyTestCase> ParseTests(List<PolicyProblem> problems)
    {
        var cases = new List<PolicyTestCase>();
        foreach (var file in Snapshot.TestFiles)
        {
            cases.AddRange(PolicyTestFile.Parse(file, problems));
        }

        return cases;
    }
}
