using Pdp.Evaluation;
using Pdp.Evaluation.Testing;
using Pdp.Policies.Loading;
using Pdp.Policies.Model;

namespace Pdp.Server.Policies;

/// <summary>
/// <c>Pdp:Reload:RequireTests</c>: runs every <c>*.test.json</c> case of a candidate set, exactly as
/// <c>pdp test</c> does, and turns each failing case or broken test file into a problem that refuses the set.
/// </summary>
internal static class PolicySetTestGate
{
    public static IReadOnlyList<PolicyProblem> Check(PolicySourceSnapshot snapshot, PolicySet set, EvaluationOptions options)
    {
        var problems = new List<PolicyProblem>();
        var cases = new List<PolicyTestCase>();
        foreach (var file in snapshot.TestFiles)
        {
            cases.AddRange(PolicyTestFile.Parse(file, problems));
        }

        if (cases.Count == 0 && problems.Count == 0)
        {
            // Deleting every test file must not be a way around the gate.
            problems.Add(new PolicyProblem(snapshot.Origin, 0, 0, "Pdp:Reload:RequireTests is on but the set has no test cases (*.test.json)"));
            return problems;
        }

        var runner = new PolicyTestRunner(set, options);
        foreach (var testCase in cases)
        {
            var result = runner.RunOne(testCase);
            if (!result.Passed)
            {
                problems.Add(new PolicyProblem(testCase.File, testCase.Line, 1, $"test case \"{testCase.Name}\" failed: {string.Join("; ", result.Failures)}"));
            }
        }

        return problems;
    }
}
