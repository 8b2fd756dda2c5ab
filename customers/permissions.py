from rest_framework.permissions import SAFE_METHODS, BasePermission


def membership_of(user):
    """The caller's Membership, or None (anonymous users and users outside any organisation)."""
    if not user or not user.is_authenticated:
        return None
    return getattr(user, "membership", None)


class HasOrganisationRole(BasePermission):
    """The caller belongs to an organisation; writes need the read-write role.

    A view that only reads although it is called with POST (a batch lookup, say) sets
    `reads_only = True`.
    """

    message = "This user is not linked to an organisation."

    def has_permission(self, request, view):
        membership = membership_of(request.user)
        if membership is None:
            return False
        if request.method in SAFE_METHODS or getattr(view, "reads_only", False):
            return True
        if not membership.can_write:
            self.message = "This API user is read-only."
            return False
        return True
