using Pdp.Policies.Loading;

namespace Pdp.Cli;

/// <summary>Prints problems the way compilers do, one <c>file:line:col: message</c> per line, sorted by file then line.</summary>
internal static class Problems
{
    public static IReadOnlyList<PolicyProblem> Sorted(IEnumerable<PolicyProblem> problems) =>
        problems
            .OrderBy(p => p.File, StringComparer.Ordinal)
            .ThenBy(p => p.Line)
            .ThenBy(p => p.Column)
            .ToArray();

    public static void Print(IEnumerable<PolicyProblem> problems, TextWriter writer)
    {
        foreach (var problem in Sorted(problems))
        {
            writer.WriteLine(problem.ToString());
        }
    }

    public static string Count(int count) => count == 1 ? "1 problem" : $"{count} problems";
}
