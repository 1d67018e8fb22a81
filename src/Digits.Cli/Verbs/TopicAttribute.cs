namespace Digits.Cli.Verbs;

/// <summary>Groups an option under a heading in <c>--help</c> and states its default as shown to users.
/// A test checks each stated default against what the command really uses.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class TopicAttribute(string name, string? defaultText = null) : Attribute
{
    public string Name { get; } = name;
    public string? DefaultText { get; } = defaultText;

    /// <summary>What a value must be, for error messages ("a number > 0"); else the type says it.</summary>
    public string? Expected { get; init; }
}
