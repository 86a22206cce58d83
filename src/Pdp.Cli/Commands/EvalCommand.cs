using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Pdp.Evaluation;
using Pdp.Evaluation.Testing;
using Pdp.Policies.Model;

namespace Pdp.Cli.Commands;

/// <summary>
/// <c>pdp eval DIR [--input FILE|-] [--data FILE] [--explain]</c>: evaluates one partial input document
/// (completed with the server's defaults, as test cases are) and prints the combined decision as JSON.
/// Exit 0 whatever the verdict; 2 when the directory, input or data cannot be loaded.
/// </summary>
internal static class EvalCommand
{
    public static Command Create(CliIo io)
    {
        var directory = new Argument<string>("DIR") { Description = "The policy directory to evaluate against." };
        var input = new Option<string?>("--input")
        {
            Description = "JSON file holding a partial input document, as in a test case's \"input\" (missing fields get the server's defaults; a \"time\" pins Date.now()). '-' or no --input reads standard input.",
            HelpName = "FILE",
        };
        var data = new Option<string?>("--data")
        {
            Description = "JSON object of data documents (keyed by file name without .json) replacing the set's, as a test case's \"data\" does.",
            HelpName = "FILE",
        };
        var explain = new Option<bool>("--explain") { Description = "Also print each consulted policy's own verdict (or not_applicable), reason, error kind and elapsed microseconds." };
        var sandbox = new SandboxLimitOptions();
        var command = new Command("eval", "Evaluate one input against a policy directory and print the decision as JSON. Exit 0 whatever the verdict, 2 if the directory or input cannot be loaded.")
        {
            directory,
            input,
            data,
            explain,
        };
        sandbox.AddTo(command);
        command.SetAction(parse => Run(
            io,
            parse.GetRequiredValue(directory),
            parse.GetValue(input) ?? JsonInput.StandardInput,
            parse.GetValue(data),
            parse.GetValue(explain),
            sandbox.Read(parse, io)));
        return command;
    }

    private static int Run(CliIo io, string directory, string inputFile, string? dataFile, bool explain, Policies.Sandbox.SandboxOptions? sandbox)
    {
        if (sandbox is null)
        {
            return ExitCodes.Usage;
        }

        if (inputFile == JsonInput.StandardInput && ReferenceEquals(io.In, Console.In) && !Console.IsInputRedirected)
        {
            // Waiting on a terminal for JSON nobody is going to type looks like a hang.
            io.Fail("no input: pass --input FILE, or pipe the input document to standard input");
            return ExitCodes.Usage;
        }

        if (!JsonInput.TryReadObject(inputFile, "input", io, out var partial) || !CheckTime(partial!, io))
        {
            return ExitCodes.Usage;
        }

        JsonObject? dataOverrides = null;
        if (dataFile is not null && !JsonInput.TryReadObject(dataFile, "data", io, out dataOverrides))
        {
            return ExitCodes.Usage;
        }

        var loadedSet = PolicyDirectory.LoadOrReport(directory, sandbox, io);
        if (loadedSet is null)
        {
            return ExitCodes.Usage;
        }

        var set = dataOverrides is null ? loadedSet : loadedSet.WithData(dataOverrides);
        var document = InputDocument.Complete(partial);
        var actionType = InputDocument.ActionTypeOf(document);
        if (!ActionType.IsValid(actionType))
        {
            // Evaluated anyway, as a test case would be, but the author should know the server stops it earlier.
            io.Fail($"warning: action.type '{actionType}' is not a valid action type; the server refuses such a request before any policy runs");
        }

        // Evaluated once, as the server does: the time budget is CPU time on this thread, so a timeout is real.
        var evaluator = new PolicyEvaluator(set, SandboxLimitOptions.Evaluation(sandbox));
        var decision = evaluator.Evaluate(new EvaluationRequest(document, actionType, InputDocument.TimeOf(document)));

        io.Out.WriteLine(DecisionJson.Text(DecisionJson.From(decision, explain)));
        return ExitCodes.Ok;
    }

    /// <summary>A <c>time</c> the clock cannot be pinned to would silently fall back to the default time: refuse it.</summary>
    private static bool CheckTime(JsonObject partial, CliIo io)
    {
        if (!partial.TryGetPropertyValue("time", out var time))
        {
            return true;
        }

        if (time is JsonValue value && value.TryGetValue<string>(out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
        {
            return true;
        }

        io.Fail($"input.time must be a date-time string such as \"2026-01-01T12:00:00Z\" (was {time?.ToJsonString() ?? "null"})");
        return false;
    }
}
