using Pdp.Review.Rules;

namespace Pdp.Server.Console;

/// <summary>
/// The review rules' refusals as sentences a reviewer reads: the rules word them for tool authors
/// (<c>reviewer: … is not a member …</c>); the page says what happened and that nothing was recorded.
/// </summary>
public static class RefusalText
{
    public static string For(ReviewRefusedException refusal, string reviewer, string approverGroup)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        var message = refusal.Message;
        var sentence = message switch
        {
            _ when message.Contains("agent that proposed", StringComparison.Ordinal) => "You cannot review this action: you are the agent that proposed it.",
            _ when message.Contains("acts for", StringComparison.Ordinal) => "You cannot approve your own request: the agent acts on your behalf, so someone else must review it.",
            _ when message.Contains("is not a member", StringComparison.Ordinal) => $"You are not in the approver group '{approverGroup}', so you cannot decide this review.",
            _ when message.Contains("already approved", StringComparison.Ordinal) => $"You have already approved this decision; {reviewer} cannot count twice, another reviewer must approve it.",
            _ when message.Contains("already settled", StringComparison.Ordinal) => $"This review was already settled before your decision arrived ({After(message, "(").TrimEnd(')')}).",
            _ when message.Contains("expired", StringComparison.Ordinal) => "This review has expired; an expired review can no longer be approved, rejected or modified.",
            _ when message.Contains("justification: is required", StringComparison.Ordinal) => "Write a justification: it is required to reject or modify an action.",
            _ => Sentence(message),
        };
        return sentence + " Nothing was recorded.";
    }

    /// <summary>"field: text" → "Text." (the field name is for tools, not for people).</summary>
    public static string Sentence(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var colon = message.IndexOf(": ", StringComparison.Ordinal);
        var text = colon is > 0 and < 24 && !message[..colon].Contains(' ', StringComparison.Ordinal) ? message[(colon + 2)..] : message;
        if (text.Length == 0)
        {
            return "The disposition was refused.";
        }

        text = char.ToUpperInvariant(text[0]) + text[1..];
        return text.EndsWith('.') ? text : text + ".";
    }

    private static string After(string text, string marker)
    {
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? text : text[(at + marker.Length)..];
    }
}
