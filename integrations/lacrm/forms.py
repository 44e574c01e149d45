"""The Less Annoying CRM connect form."""

from __future__ import annotations

from django import forms

from integrations.errors import AuthExpired, IntegrationError
from integrations.lacrm.oauth import check_api_key


class LacrmApiKeyForm(forms.Form):
    """Paste a Less Annoying CRM API key; it is checked with GetUser before it is kept."""

    api_key = forms.CharField(
        label="API key",
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}
        ),
        help_text=(
            "In LACRM open Settings → Programmer API, enable the API, create a key with "
            "read/create/edit permission, and paste it here (it is shown only once)."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # GetUser's answer for a key LACRM accepted (UserId, name, email).
        self.user_info: dict | None = None

    def clean_api_key(self) -> str:
        key = self.cleaned_data["api_key"]
        # The key travels in an HTTP header, which carries only plain ASCII. Anything else was
        # pasted by mistake (a smart quote, a non-breaking space, text from around the key);
        # otherwise the key is opaque and GetUser decides.
        if not all("!" <= char <= "~" for char in key):
            raise forms.ValidationError(
                "This is not an LACRM API key: it contains spaces or characters an API key never "
                "has (only plain ASCII letters, digits and punctuation). Copy the key again from "
                "LACRM, without any text around it.",
                code="unsendable",
            )
        return key

    def clean(self):
        cleaned = super().clean()
        key = cleaned.get("api_key")
        if not key:
            return cleaned
        try:
            self.user_info = check_api_key(key)
        except AuthExpired:
            raise forms.ValidationError(
                "LACRM did not accept this key: Invalid credentials", code="invalid_key"
            ) from None
        except IntegrationError as exc:
            # e.g. LACRM unreachable: the message is ours and holds no secret.
            raise forms.ValidationError(
                f"Could not check the key with LACRM: {exc.message}", code="unreachable"
            ) from None
        return cleaned
