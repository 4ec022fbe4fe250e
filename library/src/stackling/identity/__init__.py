"""Identity (Keystone's job): domains, projects, users, groups, roles, grants, application
credentials, authentication, tokens and revocation. Start at stackling.identity.service."""
