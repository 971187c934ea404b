"""Small modal dialogs: a choice between buttons, and a validated one-line prompt."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Label, Static
from textual.widgets.button import ButtonVariant

from toolkit.errors import SegkitError


class ChoiceScreen(ModalScreen[str | None]):
    """A question with one button per answer; Escape answers None (cancel)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, message: str, choices: list[tuple[str, str, ButtonVariant]]):
        """``choices``: (answer id, button label, variant) in display order."""
        super().__init__()
        self.title_text = title
        self.message = message
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                for answer, label, variant in self.choices:
                    yield Button(label, id=f"choice-{answer}", variant=variant)

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss(None)


class CheckWith(Validator):
    """A Textual validator from a function that raises SegkitError on bad input."""

    def __init__(self, check: Callable[[str], object]):
        super().__init__()
        self.check = check

    def validate(self, value: str) -> ValidationResult:
        try:
            self.check(value)
        except SegkitError as exc:
            return self.failure(str(exc))
        return self.success()


class PromptScreen(ModalScreen[str | None]):
    """One validated line of input (a name, a path); Enter confirms, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, message: str, value: str = "", *,
                 check: Callable[[str], object] | None = None, placeholder: str = "",
                 confirm: str = "OK"):
        super().__init__()
        self.title_text = title
        self.message = message
        self.value = value
        self.check = check
        self.placeholder = placeholder
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-message", markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input",
                        validators=[CheckWith(self.check)] if self.check else [])
            yield Static("", id="prompt-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.confirm, id="prompt-ok", variant="primary")
                yield Button("Cancel", id="prompt-cancel")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        result = event.validation_result
        message = "" if result is None or result.is_valid else "; ".join(result.failure_descriptions)
        self.query_one("#prompt-error", Static).update(message)

    def _submit(self) -> None:
        value = self.query_one(Input).value
        if self.check is not None:
            try:
                self.check(value)
            except SegkitError as exc:
                self.query_one("#prompt-error", Static).update(str(exc))
                return
        self.dismiss(value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "prompt-ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
