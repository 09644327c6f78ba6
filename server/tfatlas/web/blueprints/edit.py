"""The edit page for people at /edit/: sign in with an account token, see one's entries with what
is missing, add, edit, preview and withdraw offers. Every save goes through the contributions
write path (gate, ownership, history); the page only turns forms into a proposed graph."""

from __future__ import annotations

import time

import pyoxigraph as ox
from flask import Blueprint, abort, current_app, flash, get_flashed_messages, redirect, render_template, request, session

from ...contributions import entries as listing
from ...contributions.accounts import Account
from ...contributions import offer_form as core
from ...contributions.change import keep_blank_nodes
from ...contributions.errors import ShapesViolated, WriteRefused
from ...finder import preview
from ..deps import get_contributions, get_store
from ..edit_forms import ActionForm, OfferForm, SignInForm
from ..edit_texts import TEXT
from .finder import TEXTS as FINDER_TEXTS
from ..sessions import EDIT_PATH
from ..urls import reader_language, with_lang

bp = Blueprint("edit", __name__, url_prefix=EDIT_PATH)

SESSION_HOURS = 8
INTERFACE = "edit-page"


@bp.after_request
def _private(response):
    # The pages show an account's own state and carry CSRF tokens: no shared cache keeps them.
    response.headers["Cache-Control"] = "no-store"
    return response


def _texts():
    lang, _ = reader_language()
    return lang, TEXT[lang]


def _url(path: str = "") -> str:
    return with_lang((request.script_root or "") + EDIT_PATH + "/" + path)


def _render(template: str, status: int = 200, **values):
    lang, et = _texts()
    return render_template(template, et=et, ft=FINDER_TEXTS[lang], edit_url=_url, **values), status


def _account():
    """The signed-in account (None when signed out, revoked or past the session's hours)."""
    account_id, since = session.get("account"), session.get("since", 0)
    if not account_id or time.time() - since > SESSION_HOURS * 3600:
        return None
    service = get_contributions(current_app)
    for record in service.accounts.list():
        if record["id"] == account_id and not record["revoked"]:
            return Account(id=record["id"], actor=record["actor"], graph=record["graph"], label=record["label"])
    return None


def _signed_in():
    account = _account()
    if account is None:
        session.clear()
        abort(redirect(_url(), 303))
    return account


def _offer_iri(slug: str) -> ox.NamedNode:
    return ox.NamedNode(f"{current_app.config['TFATLAS'].base_iri}id/offer/{slug}")


def _own_offer(account, slug: str):
    """(the offer, the account's graph) or 404 when the graph does not describe the offer."""
    graph = get_contributions(current_app).read(account.graph)
    offer = _offer_iri(slug)
    if not any(t.subject == offer for t in graph):
        lang, et = _texts()
        abort(404, description=et["not_yours"])
    return offer, graph


# -- sign in and out ---------------------------------------------------------------------------

@bp.get("/")
def home():
    account = _account()
    if account is None:
        return _render("edit/signin.html", form=SignInForm())
    lang, _ = _texts()
    service = get_contributions(current_app)
    found = listing.entries(service, account, lang)
    seed = listing.offers_named(get_store(current_app), account, lang)
    return _render("edit/list.html", account=account, entries=found, seed_offers=seed,
                   actor_label=core.choices(get_store(current_app), account.actor, lang).providers[account.actor],
                   action=ActionForm(), notices=get_flashed_messages())


@bp.post("/sign-in")
def sign_in():
    lang, et = _texts()
    form = SignInForm()
    if not form.validate_on_submit():
        form.token.errors = [et["expired"]]
        return _render("edit/signin.html", 400, form=form)
    token = (form.token.data or "").strip()
    if not token:
        form.token.errors = [et["no_token"]]
        return _render("edit/signin.html", 400, form=form)
    service = get_contributions(current_app)
    try:
        account = service.authenticate("Bearer " + token)
    except WriteRefused:
        form.token.errors = [et["bad_token"]]
        return _render("edit/signin.html", 401, form=form)
    if account.admin:
        form.token.errors = [et["operator_token"]]
        return _render("edit/signin.html", 403, form=form)
    session.clear()  # a new session for a new sign-in (no fixation)
    session["account"], session["since"] = account.id, int(time.time())
    return redirect(_url(), 303)


@bp.post("/sign-out")
def sign_out():
    if ActionForm().validate_on_submit():
        session.clear()
    return redirect(_url(), 303)


# -- offers ------------------------------------------------------------------------------------

@bp.route("/offers/new", methods=["GET", "POST"])
def new_offer():
    account = _signed_in()
    return _offer_page(account, None, set())


@bp.route("/offers/<slug>", methods=["GET", "POST"])
def edit_offer(slug: str):
    account = _signed_in()
    offer, graph = _own_offer(account, slug)
    return _offer_page(account, offer, graph)


def _offer_page(account, offer, graph):
    lang, et = _texts()
    store = get_store(current_app)
    base = store.base_iri
    service = get_contributions(current_app)
    choices = core.choices(store, account.actor, lang)
    form = OfferForm()
    form.set_choices(choices, et["none"])
    page = {"form": form, "offer": offer, "account": account, "errors": core.FieldErrors(),
            "warnings": core.FieldErrors(), "card": None}
    if request.method == "GET":
        if offer is not None:
            form.fill(core.values_of(graph, offer, base))
        return _render("edit/offer.html", **page)
    if not form.validate_on_submit():
        page["errors"].add("", et["expired"])
        return _render("edit/offer.html", 400, **page)
    values = form.values()
    iri = offer or core.mint(base, account.slug, values.title_de or values.title_en)
    described = core.described_elsewhere(store, account.graph, [values.source_url.strip()])
    new, errors = core.statements(values, iri, base, lang=lang, choices=choices, described_elsewhere=described)
    page["errors"] = errors

    def after(before):
        return keep_blank_nodes(before, core.replace_offer(before, iri, new, base))

    saving = request.form.get("action") == "save" and not errors
    try:
        if not saving:
            report = service.check(account, account.graph, after)
        else:
            service.submit(account, account.graph, after, interface=INTERFACE)
            flash(et["saved"].format(label=values.title_de or values.title_en))
            return redirect(_url(), 303)
    except ShapesViolated as refused:
        report = refused.report
    except WriteRefused as refused:
        errors.add("", refused.in_language(lang))
        return _render("edit/offer.html", refused.status, **page)
    for name, messages in core.findings_by_field(report, lang, "Violation").items():
        for message in messages:
            errors.add(name, message)
    page["warnings"] = core.findings_by_field(report, lang, "Warning")
    if not errors:
        page["card"] = preview.card(store, iri.value, new, lang)
    return _render("edit/offer.html", 422 if errors else 200, **page)


@bp.route("/offers/<slug>/withdraw", methods=["GET", "POST"])
def withdraw(slug: str):
    account = _signed_in()
    lang, et = _texts()
    offer, graph = _own_offer(account, slug)
    label = core.values_of(graph, offer, get_store(current_app).base_iri)
    label = (label.title_de if lang == "de" else label.title_en) or label.title_de or label.title_en or offer.value
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _render("edit/withdraw.html", 400, form=form, label=label, slug=slug, error=et["expired"])
        try:
            get_contributions(current_app).submit(account, account.graph,
                                                  lambda before: core.withdraw_offer(before, offer),
                                                  interface=INTERFACE)
        except WriteRefused as refused:
            return _render("edit/withdraw.html", refused.status, form=form, label=label, slug=slug,
                           error=refused.in_language(lang))
        flash(et["withdrawn"].format(label=label))
        return redirect(_url(), 303)
    return _render("edit/withdraw.html", form=form, label=label, slug=slug, error=None)
