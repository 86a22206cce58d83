using Pdp.Evaluation.Results;
using Pdp.Evaluation.Testing;
using Pdp.Policies.Loading;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;
using Xunit;

namespace Pdp.Evaluation.Tests;

/// <summary>Runs every case of every <c>policies/*.test.json</c> — the same cases <c>pdp test policies</c> runs.</summary>
public sealed class ShippedPolicyTests
{
    private static readonly Lazy<(PolicySet Set, IReadOnlyList<PolicyTestCase> Cases, PolicyTestRunner Runner)> Shipped = new(() =>
    {
        var snapshot = new DirectoryPolicySource(Path.Combine(TestPolicies.RepositoryRoot(), "policies")).Read();
        var set = new PolicySetLoader(new SandboxOptions()).Load(snapshot);
        var problems = new List<PolicyProblem>();
        var cases = snapshot.TestFiles.SelectMany(f => PolicyTestFile.Parse(f, problems)).ToArray();
        Assert.Empty(problems);
        return (set, cases, new PolicyTestRunner(set, new EvaluationOptions()));
    });

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var testCase in Shipped.Value.Cases)
        {
            data.Add(testCase.File, testCase.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ShippedCase_EvaluatedAgainstShippedPolicies_MatchesExpectation(string file, string name)
    {
        var testCase = Shipped.Value.Cases.Single(c => c.File == file && c.Name == name);

        var result = Shipped.Value.Runner.RunOne(testCase);

        Assert.True(result.Passed, $"{file}:{testCase.Line} {name}: {string.Join("; ", result.Failures)}");
    }

    [Fact]
    public void ShippedPolicies_EachHasOwnerAndFrameworksAndTests()
    {
        var (set, cases, _) = Shipped.Value;

        Assert.NotEmpty(set.Policies);
        foreach (var policy in set.Policies)
        {
            Assert.False(string.IsNullOrWhiteSpace(policy.Metadata.Owner));
            Assert.NotEmpty(policy.Metadata.Frameworks);
            Assert.Contains(cases, c => c.File == Path.ChangeExtension(policy.File, ".test.json"));
        }
    }

    [Fact]
    public void ShippedCases_CoverEveryVerdictOfTheSpecificPolicies()
    {
        var (set, cases, _) = Shipped.Value;

        foreach (var policy in set.Policies.Where(p => p.Metadata.AppliesTo.All(a => a.Kind != ActionPatternKind.Any)))
        {
            var decidedHere = cases.Where(c => c.Expect.PolicyId == policy.Id).Select(c => c.Expect.Verdict).ToHashSet();
            Assert.True(decidedHere.SetEquals([Verdict.Allow, Verdict.Deny, Verdict.RequireHuman]), $"{policy.Id} has cases for {string.Join(", ", decidedHere)}");
        }
    }
}
