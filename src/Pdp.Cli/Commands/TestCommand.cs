using System.CommandLine;
using Pdp.Evaluation.Testing;
using Pdp.Policies.Loading;

namespace Pdp.Cli.Commands;

/// <summary>
/// <c>pdp test DIR [--filter TEXT] [--verbose]</c>: runs every case of every <c>*.test.json</c> against the
/// directory's policy set. Prints <c>PASS file:line name</c> or <c>FAIL file:line name</c> per case (a
/// failure's differences indented below it), then <c>N passed, N failed</c>. Exit 0 when every case
/// passed; 1 on a failing case, a test-file problem, or no case to run; 2 when the policy set cannot be
/// loaded or an option is invalid.
/// </summary>
internal static class TestCommand
{
    private const string Indent = "    ";

    public static Command Create(CliIo io)
    {
        var directory = new Argument<string>("DIR") { Description = "The policy directory whose *.test.json cases to run." };
        var filter = new Option<string?>("--filter")
        {
            Description = "Run only the cases whose name or file contains TEXT (ignoring case).",
            HelpName = "TEXT",
        };
        var verbose = new Option<bool>("--verbose") { Description = "Print the full decision (as pdp eval --explain would) under each failing case." };
        var sandbox = new SandboxLimitOptions();
        var command = new Command("test", "Run the *.test.json cases of a policy directory. Exit 0 if all pass, 1 if any fails or a test file is broken, 2 if the policies cannot be loaded.")
        {
            directory,
            filter,
            verbose,
        };
        sandbox.AddTo(command);
        command.SetAction(parse => Run(io, parse.GetRequiredValue(directory), parse.GetValue(filter), parse.GetValue(verbose), sandbox.Read(parse, io)));
        return command;
    }

    private static int Run(CliIo io, string directory, string? filter, bool verbose, Policies.Sandbox.SandboxOptions? sandbox)
    {
        if (sandbox is null)
        {
            return ExitCodes.Usage;
        }

        var loaded = PolicyDirectory.Open(directory, sandbox, io);
        if (loaded is null)
        {
            return ExitCodes.Usage;
        }

        var testProblems = new List<PolicyProblem>();
        var cases = loaded.ParseTests(testProblems);
        if (loaded.Set is null)
        {
            Problems.Print(loaded.Problems.Concat(testProblems), io.Out);
            io.Fail($"the policy directory could not be loaded ({Problems.Count(loaded.Problems.Count)}); no test was run");
            return ExitCodes.Usage;
        }

        // Broken test files or cases are failures too: something meant to be checked was not.
        Problems.Print(testProblems, io.Out);
        var selected = string.IsNullOrEmpty(filter)
            ? cases
            : cases.Where(c => c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase) || c.File.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToArray();

        var runner = new PolicyTestRunner(loaded.Set, SandboxLimitOptions.Evaluation(sandbox));
        var passed = 0;
        var failed = testProblems.Count;
        foreach (var testCase in selected)
        {
            // Run once, as the server decides once: a timeout (CPU time on this thread) is a real failure.
            var result = runner.RunOne(testCase);
            if (result.Passed)
            {
                passed++;
                io.Out.WriteLine($"PASS {testCase.File}:{testCase.Line} {testCase.Name}");
                continue;
            }

            failed++;
            io.Out.WriteLine($"FAIL {testCase.File}:{testCase.Line} {testCase.Name}");
            foreach (var failure in result.Failures)
            {
                io.Out.WriteLine(Indent + failure);
            }

            if (verbose && result.Decision is not null)
            {
                io.Out.WriteLine(Indent + "decision:");
                foreach (var line in DecisionJson.Lines(DecisionJson.From(result.Decision, explain: true), Indent + Indent))
                {
                    io.Out.WriteLine(line);
                }
            }
        }

        io.Out.WriteLine($"{passed} passed, {failed} failed");
        if (selected.Count == 0)
        {
            io.Fail(string.IsNullOrEmpty(filter) ? $"no test cases found in '{directory}' (*.test.json)" : $"no test case name or file contains '{filter}'");
            return ExitCodes.Failed;
        }

        return failed > 0 ? ExitCodes.Failed : ExitCodes.Ok;
    }
}
