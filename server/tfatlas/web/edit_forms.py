"""The edit page's forms (Flask-WTF: each carries its CSRF token). Values are checked by the
contribution gate, not here: the forms only carry what was typed, so it is shown again."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField

from ..contributions.offer_form import CONCEPT_FIELDS, OfferValues


class SignInForm(FlaskForm):
    token = PasswordField("token")


class ActionForm(FlaskForm):
    """A button that changes something (sign out, withdraw): only the CSRF token."""


class OfferForm(FlaskForm):
    title_de = StringField()
    title_en = StringField()
    description_de = TextAreaField()
    description_en = TextAreaField()
    provider = SelectField(validate_choice=False)
    topics = SelectMultipleField(validate_choice=False)
    challenges = SelectMultipleField(validate_choice=False)
    audiences = SelectMultipleField(validate_choice=False)
    offer_type = SelectField(validate_choice=False)
    delivery_modes = SelectMultipleField(validate_choice=False)
    cost_model = SelectField(validate_choice=False)
    contact_email = StringField()
    contact_url = StringField()
    start_date = StringField()
    end_date = StringField()
    page = StringField()
    source_url = StringField()
    source_title = StringField()

    def set_choices(self, choices, none_label: str) -> None:
        self.provider.choices = list(choices.providers.items())
        for name, _prop, _scheme, many in CONCEPT_FIELDS:
            options = list(choices.concepts[name].items())
            getattr(self, name).choices = options if many else [("", none_label)] + options

    def values(self) -> OfferValues:
        return OfferValues(**{name: (getattr(self, name).data or ([] if isinstance(
            getattr(self, name), SelectMultipleField) else "")) for name in OfferValues.__dataclass_fields__})

    def fill(self, values: OfferValues) -> None:
        for name in OfferValues.__dataclass_fields__:
            getattr(self, name).data = getattr(values, name)
