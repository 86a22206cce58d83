using System.CommandLine;
using Pdp.Policies.Loading;

namespace Pdp.Cli.Commands;

/// <summary>
/// <c>pdp check DIR [--require-coverage FILE]</c>: loads the directory as the server would, parses its
/// test files, and prints every problem as <c>file:line:col: message</c> sorted by file then line.
/// Exit 0 and a one-line summary when there is none; 1 when there are problems; 2 when the directory
/// or the coverage file cannot be read, or an option is invalid.
/// </summary>
internal static class CheckCommand
{
    public static Command Create(CliIo io)
    {
        var directory = new Argument<string>("DIR") { Description = "The policy directory: *.js policies, data/*.json documents, *.test.json cases." };
        var coverage = new Option<string?>("--require-coverage")
        {
            Description = "JSON file listing action types (an array, or an object of arrays like data/action_catalog.json); each must be matched by a policy whose applies_to is more specific than '*'.",
            HelpName = "FILE",
        };
        var sandbox = new SandboxLimitOptions();
        var command = new Command("check", "Load a policy directory exactly as the server would and report every problem as file:line:col: message. Exit 0 if none, 1 if any, 2 if the directory cannot be read.")
        {
            directory,
            coverage,
        };
        sandbox.AddTo(command);
        command.SetAction(parse => Run(io, parse.GetRequiredValue(directory), parse.GetValue(coverage), sandbox, parse));
        return command;
    }

    private static int Run(CliIo io, string directory, string? coverageFile, SandboxLimitOptions sandboxOptions, ParseResult parse)
    {
        var sandbox = sandboxOptions.Read(parse, io);
        if (sandbox is null)
        {
            return ExitCodes.Usage;
        }

        CoverageRequirement? coverage = null;
        if (coverageFile is not null)
        {
            coverage = CoverageRequirement.Read(coverageFile, io);
            if (coverage is null)
            {
                return ExitCodes.Usage;
            }
        }

        var loaded = PolicyDirectory.Open(directory, sandbox, io);
        if (loaded is null)
        {
            return ExitCodes.Usage;
        }

        var problems = new List<PolicyProblem>(loaded.Problems);
        var cases = loaded.ParseTests(problems);
        if (loaded.Set is not null && coverage is not null)
        {
            problems.AddRange(coverage.Check(loaded.Set));
        }

        if (problems.Count > 0)
        {
            Problems.Print(problems, io.Out);
            io.Fail($"check failed: {Problems.Count(problems.Count)}");
            return ExitCodes.Failed;
        }

        var set = loaded.Set!;
        var libraries = set.Libraries.Count == 0 ? "" : $", {set.Libraries.Count} helper module{(set.Libraries.Count == 1 ? "" : "s")}";
        io.Out.WriteLine($"ok: {set.Policies.Count} policies{libraries}, {set.Data.Count} data documents, {cases.Count} test cases, revision {set.Revision}");
        return ExitCodes.Ok;
    }
}
