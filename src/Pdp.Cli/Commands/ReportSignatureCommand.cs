using System.CommandLine;
using Pdp.Evidence.Signing;

namespace Pdp.Cli.Commands;

/// <summary>
/// <c>pdp report verify-signature JSON --key PEM [--signature JWS]</c>: whether a report's JSON form is exactly what
/// <c>pdp report --sign</c> signed (<see cref="DetachedJws"/>). Exit 0 it is, 1 it was changed or another key signed
/// it, 2 a file cannot be read.
/// </summary>
internal static class ReportSignatureCommand
{
    public static Command Create(CliIo io)
    {
        var json = new Argument<string>("JSON") { Description = "The report's JSON form, as written by pdp report --sign." };
        var key = new Option<string>("--key") { Description = "The signer's key: a PEM public key (or the private key itself).", Required = true, HelpName = "PEM" };
        var signature = new Option<string?>("--signature") { Description = "The detached JWS (default: JSON.jws).", HelpName = "FILE" };
        var command = new Command("verify-signature", "Check that a report's JSON form is exactly what was signed. Exit 0 if it is, 1 if it was changed (or signed with another key), 2 if a file cannot be read.") { json, key, signature };
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(json);
            var jwsPath = parse.GetValue(signature) ?? path + ".jws";
            string? problem;
            try
            {
                problem = DetachedJws.Problem(File.ReadAllBytes(path), File.ReadAllText(jwsPath), File.ReadAllText(parse.GetRequiredValue(key)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or System.Security.Cryptography.CryptographicException)
            {
                io.Fail($"cannot check the signature: {e.Message}");
                return ExitCodes.Usage;
            }

            if (problem is not null)
            {
                io.Fail($"{path}: {problem}");
                return ExitCodes.Failed;
            }

            io.Out.WriteLine($"ok: {path} is the report {jwsPath} signed");
            return ExitCodes.Ok;
        });
        return command;
    }
}
