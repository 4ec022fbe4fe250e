# -*- coding: utf-8 -*-
# Copyright: Stackling developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one gateway of the cloud modules to the Stackling control library.

Every cloud module takes the same options (CLOUD_ARG_SPEC, documented in
doc_fragments/cloud.py): ``config`` (the controller configuration file) and one of
``auth``, ``token`` or ``cloud``. run_cloud_module() builds the Controller, logs in,
turns the token into the caller's Context, calls the module's ``run(module, cloud)``
and is the only place that fails the module: library errors become one message that
names the option to fix and carries the library's stable ``error_code``.

The library is imported here only, guarded: a module run by a Python without it fails
with a message telling to use the controller venv's interpreter.
"""

from __future__ import annotations

import logging
import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.stackling.cloud.plugins.module_utils._errors import (
    InvalidInput,
    StacklingError as ModuleError,
    fail_from_exception,
)

try:
    import yaml
    from sqlalchemy.exc import SQLAlchemyError
    from stackling import errors as library_errors
    from stackling.config import load_config
    from stackling.controller import Controller
    from stackling.identity import lookup
    from stackling.identity.auth import ScopeRequest
except ImportError:
    HAS_STACKLING = False
    STACKLING_IMPORT_ERROR = traceback.format_exc()
    LibraryError = SQLAlchemyError = None
else:
    HAS_STACKLING = True
    STACKLING_IMPORT_ERROR = None
    LibraryError = library_errors.StacklingError

DEFAULT_CONFIG = "/etc/stackling/controller.yaml"
CLOUDS_FILES = ("~/.config/stackling/clouds.yaml", "/etc/stackling/clouds.yaml")
CLOUD_ENTRY_KEYS = ("auth", "config")

AUTH_OPTIONS = {
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "user_domain": {"type": "str", "default": "default", "aliases": ["user_domain_name", "user_domain_id"]},
    "project": {"type": "str", "aliases": ["project_name", "project_id"]},
    "project_domain": {"type": "str", "aliases": ["project_domain_name", "project_domain_id"]},
    "domain": {"type": "str", "aliases": ["domain_name", "domain_id"]},
    "application_credential_id": {"type": "str"},
    "application_credential_name": {"type": "str"},
    "application_credential_secret": {"type": "str", "no_log": True},
}
AUTH_SPEC = {
    "type": "dict",
    "options": AUTH_OPTIONS,
    "mutually_exclusive": [
        ["password", "application_credential_secret"],
        ["project", "domain"],
        ["application_credential_id", "application_credential_name"],
    ],
    "required_one_of": [["password", "application_credential_secret"]],
    "required_by": {"password": ["username"], "application_credential_name": ["username"]},
}
# Shared options of every cloud module; documented in doc_fragments/cloud.py.
CLOUD_ARG_SPEC = {
    "config": {"type": "path"},
    "auth": AUTH_SPEC,
    "token": {"type": "str", "no_log": True},
    "cloud": {"type": "str"},
}
AUTH_SOURCES = ["auth", "token", "cloud"]

# How each library error code reads to someone who knows HTTP APIs.
STATUS = {
    "authentication_failed": "401 Unauthorized",
    "token_invalid": "401 Unauthorized",
    "token_expired": "401 Unauthorized (token expired)",
    "token_revoked": "401 Unauthorized (token revoked)",
    "policy_not_authorized": "403 Forbidden",
    "not_found": "404 Not Found",
    "conflict": "409 Conflict",
    "validation_failed": "400 Bad Request",
    "over_quota": "403 Over Quota",
    "provider_in_use": "409 Conflict",
    "inventory_in_use": "409 Conflict",
    "concurrent_update": "409 Conflict",
    "capacity_exceeded": "409 Conflict",
    "invalid_allocation": "400 Bad Request",
    "no_valid_host": "400 No Valid Host",
    "network_in_use": "409 Conflict",
    "subnet_overlap": "409 Conflict",
    "ip_address_in_use": "409 Conflict",
    "ip_address_exhausted": "409 Conflict",
    "mac_address_exhausted": "409 Conflict",
    "segmentation_id_exhausted": "409 Conflict",
}
# Errors about the controller's own setup, whatever was being done: the fix is in the config file.
CONFIG_CODES = ("config_invalid", "key_repository_invalid", "policy_invalid")


def cloud_module(argument_spec, **kwargs):
    """An AnsibleModule with the module's own options plus CLOUD_ARG_SPEC (check mode supported)."""
    return AnsibleModule(
        argument_spec=dict(CLOUD_ARG_SPEC, **argument_spec),
        supports_check_mode=True,
        mutually_exclusive=[AUTH_SOURCES] + kwargs.pop("mutually_exclusive", []),
        required_one_of=[AUTH_SOURCES] + kwargs.pop("required_one_of", []),
        **kwargs
    )


def run_cloud_module(module, run, import_error=None):
    """Exit with ``run(module, cloud)``'s result; every failure goes through fail_from_exception.
    ``import_error``: the module's own failed import from the library (None: it had none)."""
    if not HAS_STACKLING:
        module.fail_json(
            msg=missing_required_lib(
                "stackling (the Stackling control library)",
                reason="to reach the controller's database: run this module on the controller host with "
                "ansible_python_interpreter set to the Python of the venv where stackling is installed"),
            exception=STACKLING_IMPORT_ERROR)
    if import_error is not None:
        module.fail_json(msg="the stackling library on this host is not the one of this stackling.cloud collection "
                         "(%s): install the library built with the collection (playbooks/build_wheelhouse.yml, "
                         "then the controller role)" % import_error)
    forward_library_log(module)
    try:
        result = _run(module, run)
    except ModuleError as exc:
        fail_from_exception(module, exc)
    else:
        module.exit_json(**result)


def _run(module, run):
    login = login_options(module)
    controller = open_controller(login.config)
    try:
        cloud = Cloud.log_in(controller, login)
        try:
            return run(module, cloud)
        except LibraryError as exc:
            raise library_error(exc, _field_of(exc, module.params), cloud) from None
    except SQLAlchemyError as exc:
        raise ModuleError(
            "config: the database of %s is not usable (%s: %s); is it created (stackling-manage db upgrade)?"
            % (login.config, type(exc).__name__, getattr(exc, "orig", None) or exc),
            field="config", error_code="database_error") from None
    finally:
        controller.close()


def _field_of(exc, params):
    """The option a library error is about: the ``field`` of a validation error (``inventory.VCPU``),
    or a missing user/project/host/... named by the option of that name (or its plural: ``hosts``)."""
    field = getattr(exc, "field", None)
    if field and field.split(".")[0] in params:
        return field
    kind = getattr(exc, "kind", None)
    for name in (kind, "%ss" % kind):
        if name in params:
            return name
    return None


class Login(object):
    """Where the credentials come from (``field``: auth, token or cloud), the config path and the credentials."""

    def __init__(self, field, config, auth=None, token=None):
        self.field = field
        self.config = config
        self.auth = auth
        self.token = token


def login_options(module):
    params = module.params
    if params["cloud"]:
        path, entry = find_cloud(params["cloud"])
        auth = validate_cloud_auth(module, params["cloud"], path, entry.get("auth"))
        config = params["config"] or _entry_config(path, entry.get("config")) or DEFAULT_CONFIG
        return Login("cloud", config, auth=auth)
    config = params["config"] or DEFAULT_CONFIG
    if params["token"]:
        return Login("token", config, token=params["token"])
    check_auth("auth", params["auth"])
    return Login("auth", config, auth=params["auth"])


def check_auth(field, auth):
    """What the argument spec cannot say: a password login needs a scope, a secret needs a credential."""
    if auth.get("password") is not None and not (auth.get("project") or auth.get("domain")):
        raise InvalidInput(field + ".project", "a password login needs the project (or domain) to scope the token to")
    if auth.get("application_credential_secret") is not None and not (
            auth.get("application_credential_id") or auth.get("application_credential_name")):
        raise InvalidInput(field + ".application_credential_id",
                           "an application credential secret needs application_credential_id or _name")


def clouds_files():
    return [os.path.expanduser(path) for path in CLOUDS_FILES]


def find_cloud(name):
    """(path, entry) of the first clouds.yaml holding a cloud called ``name``."""
    searched = []
    for path in clouds_files():
        if not os.path.exists(path):
            continue
        clouds = _read_clouds(path)
        searched.append("%s (%s)" % (path, ", ".join(sorted(clouds)) or "no clouds"))
        if name in clouds:
            entry = clouds[name]
            if not isinstance(entry, dict):
                raise InvalidInput("cloud", "%s: clouds.%s must be a mapping" % (path, name))
            unknown = sorted(set(entry) - set(CLOUD_ENTRY_KEYS))
            if unknown:
                raise InvalidInput("cloud", "%s: clouds.%s: unknown key(s) %s (known: %s)"
                                   % (path, name, ", ".join(unknown), ", ".join(CLOUD_ENTRY_KEYS)))
            return path, entry
    raise InvalidInput("cloud", "no cloud named %r in %s" % (
        name, "; ".join(searched) if searched else "any of " + ", ".join(clouds_files())))


def _read_clouds(path):
    try:
        with open(path) as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput("cloud", "cannot read %s: %s" % (path, exc)) from None
    clouds = (data or {}).get("clouds") if isinstance(data or {}, dict) else None
    if not isinstance(clouds, dict):
        raise InvalidInput("cloud", "%s: expected a top-level mapping 'clouds: {NAME: {auth: ...}}'" % path)
    return clouds


def _entry_config(path, config):
    if config is None:
        return None
    return os.path.join(os.path.dirname(path), os.path.expanduser(str(config)))


def validate_cloud_auth(module, name, path, auth):
    """The entry's auth block checked with the same spec as the ``auth`` option; its secrets are never shown."""
    if not isinstance(auth, dict):
        raise InvalidInput("cloud", "%s: clouds.%s.auth must be a mapping of the auth options" % (path, name))
    result = ArgumentSpecValidator({"auth": AUTH_SPEC}).validate({"auth": auth})
    module.no_log_values.update(result._no_log_values)  # pylint: disable=protected-access
    if result.error_messages:
        raise InvalidInput("cloud", "%s: clouds.%s: %s" % (path, name, "; ".join(result.error_messages)))
    validated = result.validated_parameters["auth"]
    check_auth("cloud", validated)
    return validated


def open_controller(config_path):
    try:
        return Controller.from_config(load_config(config_path))
    except LibraryError as exc:
        raise library_error(exc, "config") from None


class Cloud(object):
    """What a module's run() works with: the controller, the caller's Context and the token issued (if any)."""

    def __init__(self, controller, ctx, issued=None, token=None):
        self.controller = controller
        self.ctx = ctx
        self.issued = issued
        self.token = token
        self.identity = controller.identity
        self.quotas = controller.quotas

    # The scheduling services (read when a module uses them).
    compute_hosts = property(lambda self: self.controller.compute_hosts)
    aggregates = property(lambda self: self.controller.aggregates)
    flavors = property(lambda self: self.controller.flavors)
    server_groups = property(lambda self: self.controller.server_groups)
    allocations = property(lambda self: self.controller.allocations)
    storage_backends = property(lambda self: self.controller.storage_backends)

    @classmethod
    def log_in(cls, controller, login):
        try:
            if login.token is not None:
                return cls(controller, controller.tokens.validate(login.token), token=login.token)
            issued = _issue(controller, login.auth)
            return cls(controller, controller.tokens.validate(issued.token), issued, issued.token)
        except LibraryError as exc:
            raise library_error(exc, login.field) from None

    def authorize(self, action, target):
        """The library's own policy check, made before a change so check mode refuses what a real run would."""
        self.controller.policy.enforce(action, target, self.ctx)

    def resolve(self, kind, ref, domain=None, field=None, domain_field=None):
        """``{id, name, domain_id}`` of the domain/role/project/user/group ``ref`` (id or name).

        The lookup the library itself makes before its policy check (no policy here): used to
        build policy targets and pass ids. A missing object fails naming ``field`` (or
        ``domain_field`` when it is the domain that is missing).
        """
        try:
            with self.controller.db.read() as session:
                if kind in ("domain", "role"):
                    row = getattr(lookup, kind + "_row")(session, ref)
                    return {"id": row.id, "name": row.name, "domain_id": row.id if kind == "domain" else None}
                row = getattr(lookup, kind + "_row")(session, ref, domain)
                return {"id": row.id, "name": row.name, "domain_id": row.domain_id}
        except LibraryError as exc:
            wrong = domain_field if getattr(exc, "kind", kind) != kind and domain_field else field
            raise library_error(exc, wrong or kind, self) from None

    def caller(self):
        """Who the policy judged, for error messages."""
        scope = "project %s" % self.ctx.project_id if self.ctx.project_id else "domain %s" % self.ctx.domain_id
        return "the caller is user %s with roles [%s] on %s%s" % (
            self.ctx.user_id, ", ".join(sorted(self.ctx.roles)), scope,
            " (an application credential)" if self.ctx.application_credential_id else "")


def _issue(controller, auth):
    if auth.get("application_credential_secret") is not None:
        return controller.auth.application_credential(
            auth["application_credential_secret"], credential_id=auth.get("application_credential_id"),
            name=auth.get("application_credential_name"), username=auth.get("username"),
            user_domain=auth["user_domain"])
    scope = ScopeRequest(project=auth.get("project"), project_domain=auth.get("project_domain"),
                         domain=auth.get("domain"))
    return controller.auth.password(auth["username"], auth["password"], scope, user_domain=auth["user_domain"])


def library_error(exc, field=None, cloud=None):
    """A library error as the module's failure: HTTP-like status, the library's message, the option to fix."""
    code = str(getattr(exc.code, "value", exc.code))
    if code in CONFIG_CODES:
        field = "config"
    text = str(exc)
    if field and text.startswith(field + ": "):  # the library named the field already
        text = text[len(field) + 2:]
    if code in STATUS:
        text = "%s: %s" % (STATUS[code], text)
    details = {"error_code": code}
    if code == "policy_not_authorized":
        details["policy_action"] = exc.action
        if cloud is not None:
            text = "%s; %s" % (text, cloud.caller())
    if field:
        text = "%s: %s" % (field, text)
        details["field"] = field
    return ModuleError(text, **details)


class _ModuleLogHandler(logging.Handler):
    """Sends the library's log (who created or changed what) to the module's log (journal or syslog)."""

    def __init__(self, module):
        logging.Handler.__init__(self, logging.INFO)
        self.module = module

    def emit(self, record):
        self.module.log("stackling: %s" % record.getMessage())


def forward_library_log(module):
    logger = logging.getLogger("stackling")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(_ModuleLogHandler(module))
