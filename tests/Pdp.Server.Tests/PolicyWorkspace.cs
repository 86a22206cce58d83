using System.Diagnostics;
using Pdp.Contracts.V1;
using Xunit;
using Pdp.Policies.Loading;
using Pdp.Policies.Sandbox;

namespace Pdp.Server.Tests;

/// <summary>
/// A private copy of the shipped policies for tests that edit them, with the edits the reload tests
/// use and their expected revisions, computed by the server's own loader from the files' content.
/// </summary>
internal sealed class PolicyWorkspace : IDisposable
{
    public const string IamFile = "iam.js";

    /// <summary>The line of <c>iam.js</c> the edits change.</summary>
    public const string ThresholdLine = "const MIN_CONFIDENCE = 0.9;";

    /// <summary>Inputs whose verdicts the tests check (<see cref="PdpTestServer.Request"/> with confidence 0.95, during an incident).</summary>
    public static readonly string[] ActionTypes = ["iam.account.disable", "iam.account.delete", "iam.account.enable", "telemetry.unknown.thing"];

    private readonly string _root = Directory.CreateTempSubdirectory("pdp-reload-").FullName;

    public PolicyWorkspace()
    {
        PolicyDir = Path.Combine(_root, "policies");
        Copy(PdpTestServer.ShippedPolicies, PolicyDir);
        Original = File.ReadAllText(IamPath);
        if (!Original.Contains(ThresholdLine, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{IamFile} no longer contains '{ThresholdLine}'; update the reload tests");
        }

        OriginalRevision = RevisionOf(PolicyDir);
    }

    public string PolicyDir { get; }

    public string IamPath => Path.Combine(PolicyDir, IamFile);

    /// <summary>The shipped <c>iam.js</c>.</summary>
    public string Original { get; }

    public string OriginalRevision { get; }

    /// <summary>Raises the threshold above the requests' confidence: disabling an account goes to a human. Breaks iam.test.json cases.</summary>
    public string Stricter => Original.Replace(ThresholdLine, "const MIN_CONFIDENCE = 0.99;", StringComparison.Ordinal);

    /// <summary>A syntax error on <see cref="BrokenLine"/>.</summary>
    public string Broken => Original.Replace(ThresholdLine, "const MIN_CONFIDENCE = ;", StringComparison.Ordinal);

    public int BrokenLine => Original[..Original.IndexOf(ThresholdLine, StringComparison.Ordinal)].Count(c => c == '\n') + 1;

    /// <summary>Same rules as shipped, different content (so a different revision).</summary>
    public string Repaired => Original + "\n// Repaired.\n";

    /// <summary>Server settings for a test, as configuration key/value pairs.</summary>
    public static Dictionary<string, string?> Settings(params (string Key, string Value)[] settings) =>
        settings.ToDictionary(s => s.Key, s => (string?)s.Value);

    /// <summary>The verdicts of <see cref="ActionTypes"/> under the shipped rules, or under <see cref="Stricter"/>.</summary>
    public static Dictionary<string, Verdict> VerdictsFor(bool stricter) => new()
    {
        ["iam.account.disable"] = stricter ? Verdict.RequireHuman : Verdict.Allow,
        ["iam.account.delete"] = Verdict.Deny,
        ["iam.account.enable"] = Verdict.RequireHuman,
        ["telemetry.unknown.thing"] = Verdict.Deny,
    };

    /// <summary>The revision the policy directory would have with <c>iam.js</c> replaced by <paramref name="iamContent"/>.</summary>
    public string RevisionWith(string iamContent)
    {
        var scratch = Path.Combine(_root, "scratch-" + Guid.NewGuid().ToString("N"));
        Copy(PolicyDir, scratch);
        File.WriteAllText(Path.Combine(scratch, IamFile), iamContent);
        try
        {
            return RevisionOf(scratch);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    public void WriteIam(string content) => File.WriteAllText(IamPath, content);

    /// <summary>The shipped helper module the policies import.</summary>
    public string HelperPath => Path.Combine(PolicyDir, "lib", "util.js");

    /// <summary>
    /// The shipped helper module with no agent registered for any family (<c>familyAgents</c> answers an empty set):
    /// every family's policy then denies, e.g. <c>iam.account.disable</c>.
    /// </summary>
    public string HelperWithoutAgents()
    {
        const string registered = "return normSet(list(byFamily, family));";
        var helper = File.ReadAllText(HelperPath);
        return helper.Contains(registered, StringComparison.Ordinal)
            ? helper.Replace(registered, "return normSet(list(byFamily, family).filter((a) => a === \"nobody\"));", StringComparison.Ordinal)
            : throw new InvalidOperationException($"lib/util.js no longer contains '{registered}'; update the reload tests");
    }

    /// <summary>The revision the policy directory has now.</summary>
    public string CurrentRevision() => RevisionOf(PolicyDir);

    /// <summary>Waits (at most 10 s) until <paramref name="condition"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10), "condition not met in time");
            await Task.Delay(10);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A server still shutting down may hold a file; the OS cleans temp.
        }
    }

    private static string RevisionOf(string directory) =>
        new PolicySetLoader(new SandboxOptions()).Load(new DirectoryPolicySource(directory).Read()).Revision;

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        // The sub-folders a policy set reads: data documents and helper modules.
        foreach (var folder in new[] { "data", "lib" })
        {
            var source = Path.Combine(from, folder);
            if (Directory.Exists(source))
            {
                Copy(source, Path.Combine(to, folder));
            }
        }
    }
}
